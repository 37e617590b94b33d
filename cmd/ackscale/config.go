package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// configFile is ~/.ackscale/config.json (or ACKSCALE_CONFIG): named
// profiles, as the aliyun CLI keeps them in ~/.aliyun/config.json, and the
// one in use.
type configFile struct {
	Current  string    `json:"current"`
	Profiles []profile `json:"profiles"`
}

// profile is one named server and key.
type profile struct {
	Name            string `json:"name"`
	Endpoint        string `json:"endpoint,omitempty"`
	AccessKeyID     string `json:"access_key_id,omitempty"`
	AccessKeySecret string `json:"access_key_secret,omitempty"`
	RegionID        string `json:"region_id,omitempty"`
	DataDir         string `json:"data,omitempty"`
	AdminToken      string `json:"admin_token,omitempty"`
}

// configPath is where the profiles are kept.
func configPath() (string, error) {
	if p := os.Getenv("ACKSCALE_CONFIG"); p != "" {
		return p, nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("config file: %w (set ACKSCALE_CONFIG)", err)
	}
	return filepath.Join(home, ".ackscale", "config.json"), nil
}

// readConfig reads the config file; a missing one is empty.
func readConfig() (configFile, string, error) {
	var c configFile
	path, err := configPath()
	if err != nil {
		return c, "", err
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, path, nil
	}
	if err != nil {
		return c, path, fmt.Errorf("config file: %w", err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, path, fmt.Errorf("config file %s: %w", path, err)
	}
	return c, path, nil
}

func (c *configFile) find(name string) (int, bool) {
	i := slices.IndexFunc(c.Profiles, func(p profile) bool { return p.Name == name })
	return i, i >= 0
}

// loadProfile returns the profile named (or, when name is empty,
// ACKSCALE_PROFILE's, else the file's current one). A profile asked for by
// name must exist; without a file or a current profile, it is empty.
func loadProfile(name string) (profile, error) {
	explicit := firstNonEmpty(name, os.Getenv("ACKSCALE_PROFILE"))
	c, path, err := readConfig()
	if err != nil {
		return profile{}, err
	}
	want := firstNonEmpty(explicit, c.Current)
	if want == "" {
		return profile{}, nil
	}
	i, ok := c.find(want)
	if !ok {
		if explicit == "" {
			return profile{}, nil
		}
		return profile{}, fmt.Errorf("profile %q is not in %s (ackscale configure list)", want, path)
	}
	return c.Profiles[i], nil
}

// write saves c at path (mode 0600: it holds secrets), whole or not at all.
func (c configFile) write(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

func newConfigure() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "configure",
		Short: "Keep named profiles (endpoint and key) in ~/.ackscale/config.json",
		Long: `Profiles save typing --endpoint and the key on every command, as the aliyun
CLI's do. The file is ~/.ackscale/config.json, or ACKSCALE_CONFIG. Flags and
the environment (ACKSCALE_ENDPOINT, ACKSCALE_ACCESS_KEY_ID/SECRET) win over a
profile; without either, the CLI uses 127.0.0.1:9696 and the key in
./ackscale-data/default-key.json.`,
		Example: `  # a profile for a server on another port, with the key it printed
  ackscale configure set --profile staging --endpoint 127.0.0.1:9797 \
    --access-key-id LTAI... --access-key-secret ...
  ackscale configure list
  ackscale cluster list --profile staging
  ackscale configure switch default`,
	}
	cmd.AddCommand(newConfigureSet(), newConfigureList(), newConfigureSwitch())
	return cmd
}

func newConfigureSet() *cobra.Command {
	var p profile
	var name string
	cmd := &cobra.Command{
		Use:   "set",
		Short: "Create or change a profile and make it the current one",
		Args:  cobra.NoArgs,
		Example: `  ackscale configure set --profile default --endpoint 127.0.0.1:9696 \
    --access-key-id "$ACKSCALE_ACCESS_KEY_ID" --access-key-secret "$ACKSCALE_ACCESS_KEY_SECRET"
  # use the key a server keeps in its data dir
  ackscale configure set --profile local --data ./ackscale-data`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if p.Endpoint != "" {
				if _, err := parseEndpoint(p.Endpoint); err != nil {
					return err
				}
			}
			c, path, err := readConfig()
			if err != nil {
				return err
			}
			p.Name = name
			if i, ok := c.find(name); ok {
				c.Profiles[i] = mergeProfile(c.Profiles[i], p)
			} else {
				c.Profiles = append(c.Profiles, p)
			}
			c.Current = name
			if err := c.write(path); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "profile %s saved in %s (current)\n", name, path)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&name, "profile", "default", "profile name")
	f.StringVar(&p.Endpoint, "endpoint", "", "server address, host:port or a URL")
	f.StringVar(&p.AccessKeyID, "access-key-id", "", "access key id")
	f.StringVar(&p.AccessKeySecret, "access-key-secret", "", "access key secret")
	f.StringVar(&p.RegionID, "region", "", "region of new clusters (default "+defaultRegion+")")
	f.StringVar(&p.DataDir, "data", "", "data dir whose default-key.json signs when the profile has no key")
	f.StringVar(&p.AdminToken, "admin-token", "", "token of the admin commands")
	return cmd
}

// mergeProfile sets the fields of set that are not empty on p.
func mergeProfile(p, set profile) profile {
	for _, f := range []struct{ dst, src *string }{{&p.Endpoint, &set.Endpoint}, {&p.AccessKeyID, &set.AccessKeyID},
		{&p.AccessKeySecret, &set.AccessKeySecret}, {&p.RegionID, &set.RegionID}, {&p.DataDir, &set.DataDir},
		{&p.AdminToken, &set.AdminToken}} {
		if *f.src != "" {
			*f.dst = *f.src
		}
	}
	return p
}

func newConfigureList() *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List the profiles (secrets hidden)",
		Args:    cobra.NoArgs,
		Example: `  ackscale configure list`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, path, err := readConfig()
			if err != nil {
				return err
			}
			return printProfiles(cmd.OutOrStdout(), c, path)
		},
	}
}

func printProfiles(w io.Writer, c configFile, path string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "PROFILE\tENDPOINT\tACCESS KEY ID\tSECRET\tREGION\tDATA\n")
	for _, p := range c.Profiles {
		name := p.Name
		if name == c.Current {
			name += " *"
		}
		secret := ""
		if p.AccessKeySecret != "" {
			secret = "******"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", name, p.Endpoint, p.AccessKeyID, secret, p.RegionID, p.DataDir)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "(%s; * = current)\n", path)
	return err
}

func newConfigureSwitch() *cobra.Command {
	return &cobra.Command{
		Use:     "switch PROFILE",
		Short:   "Make another profile the current one",
		Args:    cobra.ExactArgs(1),
		Example: `  ackscale configure switch staging`,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, path, err := readConfig()
			if err != nil {
				return err
			}
			if _, ok := c.find(args[0]); !ok {
				return fmt.Errorf("profile %q is not in %s", args[0], path)
			}
			c.Current = args[0]
			if err := c.write(path); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "current profile: %s\n", args[0])
			return nil
		},
	}
}

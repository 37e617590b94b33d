package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
)

// Output formats of --output.
const (
	outTable = "table"
	outJSON  = "json"
)

func checkOutput(format string) error {
	if format != outTable && format != outJSON {
		return fmt.Errorf("--output %q: want table or json", format)
	}
	return nil
}

// printer prints an answer as a table or fields.
type printer func(w io.Writer) error

// show runs a command that prints an answer: fetch returns it raw, printed
// for -o json, and its printer, used otherwise.
func (f *clientFlags) show(cmd *cobra.Command, fetch func(a *api) (any, printer, error)) error {
	a, err := f.readAPI()
	if err != nil {
		return err
	}
	raw, table, err := fetch(a)
	if err != nil {
		return err
	}
	if f.output == outJSON {
		return printJSON(cmd.OutOrStdout(), raw)
	}
	return table(cmd.OutOrStdout())
}

// printJSON prints v indented; raw JSON ([]byte or json.RawMessage) is
// indented as it is, keeping the server's field order.
func printJSON(w io.Writer, v any) error {
	var raw []byte
	switch b := v.(type) {
	case []byte:
		raw = b
	case json.RawMessage:
		raw = b
	default:
		var err error
		if raw, err = json.Marshal(v); err != nil {
			return err
		}
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, raw, "", "  "); err != nil {
		return fmt.Errorf("the answer is not JSON: %w", err)
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// printTable prints rows under header in aligned columns.
func printTable(w io.Writer, header []string, rows [][]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// printFields prints name/value pairs, one a line.
func printFields(w io.Writer, fields [][2]string) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, f := range fields {
		fmt.Fprintf(tw, "%s:\t%s\n", f[0], f[1])
	}
	return tw.Flush()
}

// jsonInto decodes raw into v.
func jsonInto(raw []byte, v any) error { return json.Unmarshal(raw, v) }

func itoa(n int) string { return strconv.Itoa(n) }

// orDash shows an empty value as "-".
func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

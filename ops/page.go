package ops

import (
	"strconv"
	"strings"

	"github.com/ackscale/ackscale"
)

// MaxPageNumber bounds page numbers, so that an offset never overflows; a
// page past the last one is empty.
const MaxPageNumber = 1_000_000

// PageParams are paging query parameters as a request sent them, with
// their names (for messages) and bounds. The zero value asks for
// everything, unpaged.
type PageParams struct {
	Number, Size         string // "" = page 1, DefaultSize
	NumberName, SizeName string
	DefaultSize, MaxSize int
}

// Page is a parsed page; Size 0 means everything.
type Page struct {
	Number int
	Size   int
}

// Offset is the number of items before the page.
func (p Page) Offset() int { return (p.Number - 1) * p.Size }

// Limit is the page's size (0: no limit).
func (p Page) Limit() int { return p.Size }

func (p PageParams) parse() (Page, error) {
	if p.DefaultSize == 0 {
		return Page{Number: 1}, nil
	}
	page := Page{Number: 1, Size: p.DefaultSize}
	var err error
	if p.Number != "" {
		if page.Number, err = strconv.Atoi(strings.TrimSpace(p.Number)); err != nil || page.Number < 1 || page.Number > MaxPageNumber {
			return page, ackscale.FieldErrorf(ackscale.CodeOutOfRange, p.NumberName, "%s: %q is not an integer in [1, %d]",
				p.NumberName, p.Number, MaxPageNumber)
		}
	}
	if p.Size != "" {
		if page.Size, err = strconv.Atoi(strings.TrimSpace(p.Size)); err != nil || page.Size < 1 || page.Size > p.MaxSize {
			return page, ackscale.FieldErrorf(ackscale.CodeOutOfRange, p.SizeName, "%s: %q is not an integer in [1, %d]",
				p.SizeName, p.Size, p.MaxSize)
		}
	}
	return page, nil
}

package sqlite

import "strings"

// in returns "col IN (?, ...)" and its arguments. An empty list gives an
// IN () that matches nothing, which SQLite allows.
func in[S ~string](col string, vals []S) (string, []any) {
	args := make([]any, len(vals))
	for i, v := range vals {
		args[i] = string(v)
	}
	return col + " IN (" + strings.TrimSuffix(strings.Repeat("?, ", len(vals)), ", ") + ")", args
}

// filter collects the conditions of a WHERE clause.
type filter struct {
	where []string
	args  []any
}

// eq adds "col = v" unless v is "".
func (f *filter) eq(col, v string) {
	if v != "" {
		f.add(col+" = ?", v)
	}
}

// add adds a condition and its arguments.
func (f *filter) add(cond string, args ...any) {
	f.where = append(f.where, cond)
	f.args = append(f.args, args...)
}

// oneOf adds "col IN (vals)" unless vals is empty (which means all).
func oneOf[S ~string](f *filter, col string, vals []S) {
	if len(vals) > 0 {
		cond, args := in(col, vals)
		f.add(cond, args...)
	}
}

// sql returns the WHERE clause ("" when there is no condition).
func (f *filter) sql() string {
	if len(f.where) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(f.where, " AND ")
}

// page returns LIMIT and OFFSET arguments; a limit of 0 is no limit.
func page(offset, limit int) []any {
	if limit <= 0 {
		limit = -1
	}
	return []any{limit, max(offset, 0)}
}

type scanner interface{ Scan(dest ...any) error }

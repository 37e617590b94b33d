package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
)

// Limiter is each account's request budget — a token bucket of Rate
// tokens a second holding at most Burst — kept in the database, so that
// the replicas of one database share it: an account gets Rate requests a
// second however its calls are spread over them. Each Take is one
// statement on the account's row, timed by the database's clock.
type Limiter struct {
	DB    *DB
	Rate  float64 // tokens a second; > 0
	Burst int     // the most tokens a bucket holds; at least 1
}

// take refills the account's bucket for the time since its last request
// and takes one token if it has one; it returns the tokens before taking.
const take = `WITH b AS (
	SELECT least($3::float8, tokens + greatest(0, ` + nowMS + ` - at) * $2::float8 / 1000) AS have
	FROM throttle_buckets WHERE account_id = $1 FOR UPDATE
)
UPDATE throttle_buckets SET tokens = CASE WHEN b.have >= 1 THEN b.have - 1 ELSE b.have END, at = ` + nowMS + `
FROM b WHERE account_id = $1 RETURNING b.have`

// Take takes one token of the account's bucket, or says how long to wait
// for one. A bucket starts full.
func (l Limiter) Take(ctx context.Context, accountID string) (bool, time.Duration, error) {
	burst := float64(max(l.Burst, 1))
	for range 2 {
		var have float64
		err := l.DB.pool.QueryRow(ctx, take, accountID, l.Rate, burst).Scan(&have)
		if errors.Is(err, pgx.ErrNoRows) {
			_, err = l.DB.pool.Exec(ctx, `INSERT INTO throttle_buckets (account_id, tokens, at) VALUES ($1, $2, `+nowMS+`)
				ON CONFLICT (account_id) DO NOTHING`, accountID, burst)
			if err != nil {
				return false, 0, fmt.Errorf("throttle %s: %w", accountID, err)
			}
			continue
		}
		if err != nil {
			return false, 0, fmt.Errorf("throttle %s: %w", accountID, err)
		}
		if have >= 1 {
			return true, 0, nil
		}
		return false, time.Duration(math.Ceil((1 - have) / l.Rate * float64(time.Second))), nil
	}
	return false, 0, fmt.Errorf("throttle %s: the bucket vanished", accountID)
}

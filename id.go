package ackscale

import (
	"crypto/rand"
	"encoding/hex"
	"strings"
	"time"
)

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails (Go 1.24+)
	return hex.EncodeToString(b)
}

// NewClusterID returns an id shaped like ACK's: "c" and 32 hex digits.
func NewClusterID() string { return "c" + randomHex(16) }

// NewNodePoolID returns an id shaped like ACK's: "np" and 32 hex digits.
func NewNodePoolID() string { return "np" + randomHex(16) }

// NewTaskID returns an id shaped like ACK's: "T-" and 24 hex digits.
func NewTaskID() string { return "T-" + randomHex(12) }

// NewRequestID returns an id shaped like ACK's request ids (upper-case UUID).
func NewRequestID() string {
	h := strings.ToUpper(randomHex(16))
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// NewInstanceID returns an ECS-shaped instance id: "i-" and 20 characters.
func NewInstanceID() string { return "i-" + randomHex(10) }

// NewAccessKey returns a new access key id and secret.
func NewAccessKey() (id, secret string) {
	return "LTAI" + strings.ToUpper(randomHex(10)), randomHex(15)
}

// NewAccountID returns a 16-digit account id like Alibaba Cloud's.
func NewAccountID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	out := make([]byte, 16)
	out[0] = '5'
	for i := 1; i < 16; i++ {
		out[i] = '0' + b[i]%10
	}
	return string(out)
}

// TaskJob is the durable job of one task: River runs it until the task ends.
type TaskJob struct {
	TaskID string `json:"task_id"`
}

// Kind names the job kind for River.
func (TaskJob) Kind() string { return "ackscale_task" }

// NowUTC is time.Now in UTC, for callers with no injected clock.
func NowUTC() time.Time { return time.Now().UTC() }

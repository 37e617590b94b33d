// Package leak checks that ackscale keeps no password, access key secret or
// signature where it should not: logs, the database files, task parameters
// and API answers.
package leak

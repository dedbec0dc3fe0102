// Package scripts holds the tests of the operator scripts beside it: deploy (build, push and roll
// out an image) and rollback (go back to an earlier image tag).
package scripts

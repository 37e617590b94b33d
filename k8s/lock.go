package k8s

import "runtime"

func lockOSThread() { runtime.LockOSThread() }

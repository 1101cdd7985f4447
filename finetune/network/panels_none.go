//go:build !cgo || noopenblas

package network

// loadPanels: without OpenBLAS there is no kernel to drive.
func loadPanels() *panelKernel { return nil }

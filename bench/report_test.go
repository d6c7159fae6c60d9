package bench

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// The table a run prints at its end: one row per measure, from the parts
// that ran, in a fixed order.

// The parts of the table, in the order they are printed.
const (
	partVersusFloor = iota
	partProfile
	partBytes
	partManySessions
	partLogins
)

// row is one line of the table.
type row struct{ measure, result, goal string }

// table collects the rows of the parts that ran.
type table struct {
	mu    sync.Mutex
	parts map[int][]row
}

var results = table{parts: map[int][]row{}}

// set gives part its rows, replacing any it had.
func (t *table) set(part int, rows ...row) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.parts[part] = rows
}

// print writes the table in markdown, with what it was measured on; nothing
// when no part ran.
func (t *table) print(w io.Writer, env *environment) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.parts) == 0 {
		return
	}
	fmt.Fprintf(w, "\n## Results, %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	fmt.Fprintf(w, "- app: %s\n", env.binaryDescription())
	fmt.Fprintf(w, "- machine: %s; load average at the start %s\n", machine(), env.loadAvg)
	fmt.Fprintf(w, "- %s; %s\n", runtime.Version(), env.redisDescription)
	if s, err := loadSettingsFromEnv(); err == nil {
		fmt.Fprintf(w, "- load: %s\n", s)
	}
	fmt.Fprintf(w, "\n| measure | result | goal |\n|---|---|---|\n")
	parts := make([]int, 0, len(t.parts))
	for part := range t.parts {
		parts = append(parts, part)
	}
	slices.Sort(parts)
	for _, part := range parts {
		for _, r := range t.parts[part] {
			fmt.Fprintf(w, "| %s | %s | %s |\n", r.measure, r.result, r.goal)
		}
	}
	fmt.Fprintln(w)
}

// metric is one figure a part reports on its benchmark's line.
type metric struct {
	value float64
	unit  string
}

var partMetrics sync.Map // benchmark name → []metric

// runPart runs a part of the harness the first time its benchmark is
// called, and only then. The framework calls a benchmark again with a
// larger b.N when a call took less than -benchtime, but a part's figures
// come from its own timed load, not from b.N; later calls report the first
// call's figures again.
func runPart(b *testing.B, measure func(b *testing.B) []metric) {
	b.Helper()
	metrics, done := partMetrics.Load(b.Name())
	if !done {
		metrics = measure(b)
		partMetrics.Store(b.Name(), metrics)
	}
	for _, m := range metrics.([]metric) {
		b.ReportMetric(m.value, m.unit)
	}
}

// machine describes this computer: CPUs, their model, memory, OS.
func machine() string {
	model, memory := "", ""
	if f, err := os.Open("/proc/cpuinfo"); err == nil {
		lines := bufio.NewScanner(f)
		for lines.Scan() && model == "" {
			if name, value, ok := strings.Cut(lines.Text(), ":"); ok && strings.TrimSpace(name) == "model name" {
				model = " " + strconv.Quote(strings.TrimSpace(value))
			}
		}
		f.Close()
	}
	if raw, err := os.ReadFile("/proc/meminfo"); err == nil {
		// MemTotal:       24000000 kB
		for line := range strings.Lines(string(raw)) {
			if fields := strings.Fields(line); len(fields) >= 2 && fields[0] == "MemTotal:" {
				kb, _ := strconv.ParseFloat(fields[1], 64)
				memory = fmt.Sprintf(", %.1f GiB of memory", kb/(1<<20))
			}
		}
	}
	return fmt.Sprintf("%d CPUs%s%s, %s/%s", runtime.NumCPU(), model, memory, runtime.GOOS, runtime.GOARCH)
}

// The formats of the table's figures.

func perSecond(x float64) string { return thousands(int64(x + 0.5)) }

func bytesOf(n int64) string { return thousands(n) + " B" }

func ratio(x float64) string { return fmt.Sprintf("%.2f", x) }

// duration is d in µs below a millisecond, else in ms: "540 µs", "2.9 ms".
func duration(d time.Duration) string {
	switch {
	case d < 0:
		return "unknown"
	case d < time.Millisecond:
		return fmt.Sprintf("%d µs", d.Round(time.Microsecond)/time.Microsecond)
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	}
}

// thousands writes n with commas between thousands: 100,000.
func thousands(n int64) string {
	s := strconv.FormatInt(n, 10)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

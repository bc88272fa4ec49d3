package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/hardneg/hardneg/mine"
	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

const progressHelp = `how the scan reports progress on stderr: 'auto' (a bar on a terminal, a line
every 10 s in a log), or 'json' (one line {"stage": "scan", "done": N, "total": M}
at most every 100 ms and when done, for programs such as the Python package;
done/total is the share of the scan done: anchors times the corpus chunks they
are scanned against)`

// mineHooks reports stages on stderr, with a progress bar during the scan
// when stderr is a terminal and a progress line every logEvery otherwise
// (a batch job's log); progress "json" writes machine-readable lines
// instead.
func mineHooks(stderr io.Writer, quiet bool, progress string) (mine.Hooks, error) {
	switch progress {
	case "auto", "json":
	default:
		return mine.Hooks{}, &usageError{fmt.Errorf("--progress %q: want auto or json", progress)}
	}
	if quiet && progress != "json" {
		return mine.Hooks{Warn: stderr}, nil
	}
	h := mine.Hooks{Log: stderr, Warn: stderr}
	if quiet {
		h.Log = nil // --quiet --progress json: the progress lines and warnings alone
	}
	if progress == "json" {
		p := &progressJSON{w: stderr, every: 100 * time.Millisecond}
		h.ScanStart, h.ScanProgress, h.ScanDone = p.start, p.add, p.done
		return h, nil
	}
	file, ok := stderr.(*os.File)
	if !ok || !term.IsTerminal(int(file.Fd())) {
		p := &progressLog{w: stderr, every: logEvery}
		h.ScanStart, h.ScanProgress = p.start, p.add
		return h, nil
	}
	var bar *progressbar.ProgressBar
	h.ScanStart = func(n int) {
		bar = progressbar.NewOptions(n,
			progressbar.OptionSetWriter(stderr),
			progressbar.OptionSetDescription("scanning"),
			progressbar.OptionThrottle(100*time.Millisecond),
			progressbar.OptionClearOnFinish(),
		)
	}
	h.ScanProgress = func(n int) { _ = bar.Add(n) }
	h.ScanDone = func() {
		if bar != nil {
			_ = bar.Finish()
		}
	}
	return h, nil
}

// progressJSON writes scan progress as JSON lines at most once per
// interval, and once more when the scan is done.
type progressJSON struct {
	w           io.Writer
	every       time.Duration
	mu          sync.Mutex
	total, sent int
	count       int
	last        time.Time
}

func (p *progressJSON) start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.count, p.sent = total, 0, -1
	p.last = time.Time{}
	p.emit()
}

func (p *progressJSON) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.count += n
	if time.Since(p.last) >= p.every {
		p.emit()
	}
}

func (p *progressJSON) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sent != p.count {
		p.emit()
	}
}

func (p *progressJSON) emit() {
	p.last, p.sent = time.Now(), p.count
	fmt.Fprintf(p.w, "{\"stage\": \"scan\", \"done\": %d, \"total\": %d}\n", p.count, p.total)
}

// logEvery is how often a scan reports progress to a log.
const logEvery = 10 * time.Second

// progressLog writes a line of scan progress at most once per interval.
type progressLog struct {
	w           io.Writer
	every       time.Duration
	mu          sync.Mutex
	total, done int
	began, last time.Time
}

func (p *progressLog) start(total int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.total, p.done = total, 0
	p.began, p.last = time.Now(), time.Now()
}

func (p *progressLog) add(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done += n
	now := time.Now()
	if now.Sub(p.last) < p.every || p.done >= p.total {
		return
	}
	p.last = now
	elapsed := now.Sub(p.began)
	left := time.Duration(float64(elapsed) * float64(p.total-p.done) / float64(p.done))
	fmt.Fprintf(p.w, "scan %d%% done, about %s left\n", 100*p.done/p.total, left.Round(time.Second))
}

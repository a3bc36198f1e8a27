// Command vegeta-staged attacks one URL with vegeta's attacker at a staged (piecewise-linear) arrival
// rate, the same plan a Stampede driver follows for `stages`: hit k starts when the integral of the rate
// reaches k. vegeta's CLI has only a constant -rate; its library takes any Pacer, so this peer is vegeta
// itself with the plan as its pacer. Prints {"requests": n, "success": ratio} as JSON.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

type segment struct {
	seconds, fromRps, toRps float64
}

// stagedPacer is vegeta's Pacer for a piecewise-linear rate, solved exactly per segment.
type stagedPacer struct {
	segments []segment
	total    float64
}

func newStagedPacer(segments []segment) stagedPacer {
	total := 0.0
	for _, s := range segments {
		total += (s.fromRps + s.toRps) / 2 * s.seconds
	}
	return stagedPacer{segments: segments, total: math.Floor(total + 1e-9)}
}

// offset is when hit k is due: the first t where the integral of the rate reaches k.
func (p stagedPacer) offset(k float64) time.Duration {
	start, before := 0.0, 0.0
	for _, s := range p.segments {
		count := (s.fromRps + s.toRps) / 2 * s.seconds
		if before+count > k {
			m := k - before
			if m <= 0 {
				return seconds(start)
			}
			slope := (s.toRps - s.fromRps) / s.seconds
			t := 2 * m / (s.fromRps + math.Sqrt(math.Max(0, s.fromRps*s.fromRps+2*slope*m)))
			return seconds(start + math.Min(t, s.seconds))
		}
		start += s.seconds
		before += count
	}
	return seconds(start)
}

func (p stagedPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	if float64(hits) >= p.total {
		return 0, true
	}
	if due := p.offset(float64(hits)); due > elapsed {
		return due - elapsed, false
	}
	return 0, false
}

func (p stagedPacer) Rate(elapsed time.Duration) float64 {
	at := elapsed.Seconds()
	for _, s := range p.segments {
		if at < s.seconds {
			return s.fromRps + (s.toRps-s.fromRps)*at/s.seconds
		}
		at -= s.seconds
	}
	return 0
}

func seconds(s float64) time.Duration {
	return time.Duration(s * float64(time.Second))
}

// parseStages reads "3:200,3:200,2:0" (seconds:target_rps, each from the previous target).
func parseStages(text string, startRps float64) ([]segment, error) {
	var segments []segment
	from := startRps
	for _, part := range strings.Split(text, ",") {
		fields := strings.Split(part, ":")
		if len(fields) != 2 {
			return nil, fmt.Errorf("stage %q is not seconds:target_rps", part)
		}
		secs, err1 := strconv.ParseFloat(fields[0], 64)
		target, err2 := strconv.ParseFloat(fields[1], 64)
		if err1 != nil || err2 != nil || secs <= 0 || target < 0 {
			return nil, fmt.Errorf("stage %q is not seconds:target_rps", part)
		}
		segments = append(segments, segment{seconds: secs, fromRps: from, toRps: target})
		from = target
	}
	return segments, nil
}

func main() {
	url := flag.String("url", "", "the URL to attack")
	stages := flag.String("stages", "", "seconds:target_rps,… e.g. 3:200,3:200,2:0")
	startRps := flag.Float64("start-rps", 0, "the rate the first stage ramps from")
	flag.Parse()
	segments, err := parseStages(*stages, *startRps)
	if err != nil || *url == "" {
		fmt.Fprintln(os.Stderr, "usage: vegeta-staged -url URL -stages 3:200,3:200,2:0 [-start-rps R]:", err)
		os.Exit(2)
	}
	pacer := newStagedPacer(segments)
	attacker := vegeta.NewAttacker(vegeta.KeepAlive(true))
	targeter := vegeta.NewStaticTargeter(vegeta.Target{Method: "GET", URL: *url})
	var metrics vegeta.Metrics
	// The pacer ends the attack; the duration is only a bound past the plan's end.
	total := 0.0
	for _, s := range segments {
		total += s.seconds
	}
	for result := range attacker.Attack(targeter, pacer, seconds(total+5), "staged") {
		metrics.Add(result)
	}
	metrics.Close()
	json.NewEncoder(os.Stdout).Encode(map[string]any{"requests": metrics.Requests, "success": metrics.Success})
}

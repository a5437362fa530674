package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSample(t *testing.T) {
	s := Sample{3 * time.Second, 1 * time.Second, 2 * time.Second}
	assert.Equal(t, 2*time.Second, s.Median())
	assert.Equal(t, time.Second, s.Min())
	assert.Equal(t, 3*time.Second, s.Max())
	assert.Equal(t, "2.00s (1.00s–3.00s)", s.Cell())
	assert.Equal(t, 1500*time.Millisecond, Sample{time.Second, 2 * time.Second}.Median())
	assert.Equal(t, "–", Sample{}.Cell())
	assert.Equal(t, "125s", secs(125*time.Second))
}

func TestTarget(t *testing.T) {
	met := Target{Num: Sample{time.Second}, Den: Sample{10 * time.Second}, Max: 0.2}
	assert.InDelta(t, 0.1, met.Ratio(), 1e-9)
	assert.Equal(t, "met", met.Verdict())
	missed := Target{Num: Sample{3 * time.Second}, Den: Sample{time.Second}, Max: 1.5}
	assert.Equal(t, "MISSED", missed.Verdict())
	assert.Equal(t, "not measured", Target{Num: Sample{time.Second}, Max: 1}.Verdict())
	within := Within("cold ≤ 60 s", Sample{72 * time.Second}, time.Minute)
	assert.InDelta(t, 1.2, within.Ratio(), 1e-9)
	assert.Equal(t, "MISSED", within.Verdict())
	assert.Equal(t, "met", Within("x", Sample{59 * time.Second}, time.Minute).Verdict())
}

// a slice of real `dagger call --progress=plain` output (ANSI codes included)
const plainLog = "\x1b[95m20  : \x1b[0m\x1b[90;2m┆ \x1b[0m\x1b[34mwithExec\x1b[0m sh -c 'xorriso -indev /in/base.iso -outdev x'\n" +
	"\x1b[95m20  : \x1b[0m\x1b[90;2m┆ \x1b[0m\x1b[90m[0.2s] \x1b[0m\x1b[90m|\x1b[0m some output\n" +
	"\x1b[95m20  : \x1b[0m\x1b[90;2m┆ \x1b[0mContainer.\x1b[1mwithExec\x1b[0m\x1b[32m DONE\x1b[0m\x1b[90m [4.5s]\x1b[0m\n" +
	"\x1b[95m21  : \x1b[0m\x1b[90;2m┆ \x1b[0mDirectory.export(path: \"/tmp/out\")\n" +
	"\x1b[95m21  : \x1b[0m\x1b[90;2m┆ \x1b[0mDirectory.export\x1b[32m DONE\x1b[0m\x1b[90m [1m2.5s]\x1b[0m\n" +
	"\x1b[95m12  : \x1b[0m\x1b[90;2m\x1b[0m\x1b[35mUnisonPlatform\x1b[0m.\x1b[1mprobeBoot\x1b[0m\x1b[34m CACHED\x1b[0m\x1b[90m [0.0s]\x1b[0m\n"

func TestSteps(t *testing.T) {
	steps := Steps(plainLog)
	require.Len(t, steps, 3)
	assert.Equal(t, "withExec sh -c 'xorriso -indev /in/base.iso -outdev x'", steps[0].Desc)
	assert.Equal(t, 4500*time.Millisecond, steps[0].Took)
	assert.Equal(t, `Directory.export(path: "/tmp/out")`, steps[1].Desc)
	assert.Equal(t, 62500*time.Millisecond, steps[1].Took)
	assert.True(t, steps[2].Cached)
	assert.Equal(t, "UnisonPlatform.probeBoot", steps[2].Desc)
	top := Longest(steps, 1)
	assert.Equal(t, "21", top[0].ID)
	assert.Len(t, Longest(steps, 5, "export"), 2)
	assert.Equal(t, "withExec sh -c 'xorri…", Short(steps[0].Desc, 22))
	assert.Equal(t, 4500*time.Millisecond, StepTook(steps, "withExec sh -c 'xorriso"))
	assert.Equal(t, 62500*time.Millisecond, StepTook(steps, "Directory.export"))
	assert.Zero(t, StepTook(steps, "withExec /tmp/unison/iso-remaster.sh"))
}

func TestExecTook(t *testing.T) {
	log := "12 : ┆ withExec /tmp/unison/iso-remaster.sh -map a b\n12 : ┆ Container.withExec DONE [0.0s]\n" +
		"13 : ┆ Container.withMountedFile CACHED [0.0s]\n14 : ┆ Container.directory(path: \"/out\"): Directory!\n14 : ┆ Container.directory DONE [5.7s]\n" +
		"15 : ┆ withExec /tmp/unison/vm-inject.sh\n15 : ┆ Container.withExec DONE [2.3s]\n16 : Container.directory DONE [2.4s]\n"
	steps := Steps(log)
	if got := ExecTook(steps, "withExec /tmp/unison/iso-remaster.sh"); got != 5700*time.Millisecond {
		t.Errorf("lazy exec: %v, want the directory step's 5.7s", got)
	}
	if got := ExecTook(steps, "withExec /tmp/unison/vm-inject.sh"); got != 2400*time.Millisecond {
		t.Errorf("evaluated exec: %v, want 2.4s", got)
	}
	if got := ExecTook(steps, "withExec /tmp/unison/none.sh"); got != 0 {
		t.Errorf("no such step: %v", got)
	}
}

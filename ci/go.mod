module github.com/project-unisonOS/unison-platform/ci

go 1.25.0

require github.com/project-unisonOS/unison-platform v0.0.0

replace github.com/project-unisonOS/unison-platform => ../

package main

// The module's surface in groups, as dagger's own module has them: the
// build doors and release at the root; qa, pins, inputs and lab group the
// rest. Each group is a view of the root object (same tool images, inputs
// and checkout); it holds no state of its own.

// Qa boots what a build made and judges it: a VM disk, an installer ISO, a full unattended install, the autoinstall late-commands.
type Qa struct {
	// +private
	Root *UnisonPlatform
}

// QA of built artifacts: vm (a disk), iso (an installer ISO), install (a full unattended install), late-commands.
func (m *UnisonPlatform) Qa() *Qa { return &Qa{Root: m} }

// Pins holds the pinned inputs' checks and updates.
type Pins struct {
	// +private
	Root *UnisonPlatform
}

// The pinned inputs: check (Ubuntu media still served), update (Ubuntu media), upkeep (every pin at once).
func (m *UnisonPlatform) Pins() *Pins { return &Pins{Root: m} }

// Inputs reads what a build is made from: the model flavors, the compatibility matrix, the version plan of a git ref.
type Inputs struct {
	// +private
	Root *UnisonPlatform
}

// Build inputs read back: models (a flavor's models.json), compat (a platform version's service set), version (the plan of a git ref).
func (m *UnisonPlatform) Inputs() *Inputs { return &Inputs{Root: m} }

// Lab holds the stand-ins for what a machine without Ubuntu's media has not, the reference services and the toolbox.
type Lab struct {
	// +private
	Root *UnisonPlatform
}

// Stand-ins and lab tools: standin-iso, standin-cloud-image, probe-boot, reference-services, toolbox.
func (m *UnisonPlatform) Lab() *Lab { return &Lab{Root: m} }

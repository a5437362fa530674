package compat

// The service contract (version 1): what every UnisonOS service image
// promises, and what the compose file (Set.Compose) gives each service in
// return. docs/service-contract.md is the service author's page for it.
//
// An image:
//   - listens on 0.0.0.0:$UNISON_PORT inside its container (the host
//     publishes the port on 127.0.0.1 only);
//   - answers GET <health> with 200 when it can serve, and with anything
//     else when it cannot (a models service: when it cannot read
//     $UNISON_MODELS_FILE);
//   - ships HealthCheck, a program (no shell, no curl) that exits 0 when
//     GET http://127.0.0.1:$UNISON_PORT$UNISON_HEALTH answers 200, and
//     non-zero otherwise;
//   - runs as User (not root) with a read-only root file system, no Linux
//     capabilities and no-new-privileges; it may write only to /tmp;
//   - logs to stdout and stderr (rotated by Docker: LogMaxSize x LogMaxFiles);
//   - with models: true, reads the models metadata at $UNISON_MODELS_FILE
//     and the model store at $UNISON_MODELS_STORE, both read-only.
const (
	// ContractVersion is the version of these rules (compose label
	// org.unisonos.contract).
	ContractVersion = "1"
	// User is the user and group every service runs as (distroless' nonroot).
	User = "65532:65532"
	// HealthCheck is the health probe every image ships.
	HealthCheck = "/usr/local/bin/unison-healthcheck"
	// ModelsFile and ModelsStore are where a models service finds the
	// models metadata and the model store inside its container.
	ModelsFile  = "/unison/models/models.json"
	ModelsStore = "/unison/models/store"
	// HostModelsFile is the models metadata on the machine (the bundle's
	// models.json) unless platform.env names another.
	HostModelsFile = "/opt/unison-platform/models.json"
	// HostModelsStore is the model store on the machine unless platform.env
	// names another (offline installs serve the medium's store).
	HostModelsStore = "/var/lib/unisonos/models"
	// LogMaxSize and LogMaxFiles bound each container's log on disk.
	LogMaxSize  = "10m"
	LogMaxFiles = 3
)

// contractEnv are the container variables the contract sets itself: no
// service lists them in its env (they name paths inside the container, not
// platform.env values).
var contractEnv = map[string]string{
	"UNISON_SERVICE":      "the service's name",
	"UNISON_PORT":         "the service's port",
	"UNISON_HEALTH":       "the service's health path",
	"UNISON_MODELS_FILE":  "set models: true to get the models metadata",
	"UNISON_MODELS_STORE": "set models: true to get the model store",
}

package models

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
)

// StoreManifest is where an ollama model store keeps a model's manifest
// (models/manifests/registry.ollama.ai/library/NAME/TAG; a name with a
// slash is namespace/name).
func StoreManifest(model string) string {
	name, tag, ok := strings.Cut(model, ":")
	if !ok {
		tag = "latest"
	}
	if !strings.Contains(name, "/") {
		name = "library/" + name
	}
	return "manifests/registry.ollama.ai/" + name + "/" + tag
}

// CheckStore refuses a model store that lacks a model the flavor preloads:
// its manifest (manifests maps a store path to its content), or a blob the
// manifest names (blobs lists blobs/ file names, sha256-<hex>). The error
// names every missing model.
func (s Spec) CheckStore(manifests map[string]string, blobs []string) error {
	if !s.Preload {
		return nil
	}
	have := map[string]bool{}
	for _, b := range blobs {
		have[b] = true
	}
	var missing []string
	for _, m := range s.Models {
		content, ok := manifests[StoreManifest(m)]
		if !ok {
			missing = append(missing, m+" (no "+StoreManifest(m)+")")
			continue
		}
		var man struct {
			Config struct{ Digest string }   `json:"config"`
			Layers []struct{ Digest string } `json:"layers"`
		}
		if err := json.Unmarshal([]byte(content), &man); err != nil {
			missing = append(missing, m+" (its manifest is not JSON)")
			continue
		}
		for _, d := range append([]struct{ Digest string }{man.Config}, man.Layers...) {
			if d.Digest == "" {
				continue
			}
			if b := strings.Replace(d.Digest, ":", "-", 1); !have[b] {
				missing = append(missing, m+" (blob "+b+")")
			}
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		return fmt.Errorf("models-store: flavor %s preloads models the store lacks: %s; pull them on a connected machine (ollama pull NAME) and pass its models directory",
			s.Flavor, strings.Join(missing, ", "))
	}
	return nil
}

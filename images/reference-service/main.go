// The UnisonOS reference service: one small program that meets the service
// contract (docs/service-contract.md) for any service of images/compat.yaml.
// The platform's tests build it with `service`, once for each service,
// and run the shipped compose.yaml on it; a service author can read it as
// the contract in code.
//
//	unison-reference-service          serve on 0.0.0.0:$UNISON_PORT
//	unison-healthcheck                (the same binary) exit 0 when
//	                                  GET 127.0.0.1:$UNISON_PORT$UNISON_HEALTH is 200
//
// Health is 200 only when the service can serve: a models service
// ($UNISON_MODELS_FILE set) must read a models.json that names a text model.
// POST to any other path is the inference endpoint: it answers with the
// text model it would use.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"path/filepath"
	"time"
)

// models is what the service reads of models.json (the bundle's).
type models struct {
	Provider  string `json:"provider"`
	TextModel string `json:"text_model"`
}

// readModels reads the models metadata the contract mounts, or "" when the
// service has none (not a models service).
func readModels() (models, error) {
	var m models
	path := os.Getenv("UNISON_MODELS_FILE")
	if path == "" {
		return m, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return m, fmt.Errorf("models metadata: %v", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return m, fmt.Errorf("models metadata %s: %v", path, err)
	}
	if m.TextModel == "" {
		return m, fmt.Errorf("models metadata %s: no text_model", path)
	}
	return m, nil
}

func reply(w http.ResponseWriter, code int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

func serve(svc, port, health string) error {
	mux := http.NewServeMux()
	mux.HandleFunc(health, func(w http.ResponseWriter, r *http.Request) {
		if _, err := readModels(); err != nil {
			reply(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "service": svc, "error": err.Error()})
			return
		}
		reply(w, http.StatusOK, map[string]string{"status": "ok", "service": svc})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			reply(w, http.StatusNotFound, map[string]string{"error": "not found"})
			return
		}
		m, err := readModels()
		if err != nil {
			reply(w, http.StatusServiceUnavailable, map[string]string{"error": err.Error()})
			return
		}
		body := map[string]string{"service": svc, "response": "hello from " + svc}
		if m.TextModel != "" {
			body["model"] = m.TextModel
			body["response"] = fmt.Sprintf("hello from %s, answered with %s (%s)", svc, m.TextModel, m.Provider)
		}
		reply(w, http.StatusOK, body)
	})
	srv := &http.Server{Addr: "0.0.0.0:" + port, Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Printf("%s listening on 0.0.0.0:%s (health %s)", svc, port, health)
	return srv.ListenAndServe()
}

// healthcheck is the contract's probe: no shell, no curl in the image.
func healthcheck(port, health string) error {
	c := http.Client{Timeout: 4 * time.Second}
	resp, err := c.Get("http://127.0.0.1:" + port + health)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s", health, resp.Status)
	}
	return nil
}

func main() {
	svc, port, health := os.Getenv("UNISON_SERVICE"), os.Getenv("UNISON_PORT"), os.Getenv("UNISON_HEALTH")
	if health == "" {
		health = "/health"
	}
	if port == "" {
		log.Fatal("UNISON_PORT is not set (the platform's compose file sets it)")
	}
	var err error
	if filepath.Base(os.Args[0]) == "unison-healthcheck" {
		err = healthcheck(port, health)
	} else {
		err = serve(svc, port, health)
	}
	if err != nil && !errors.Is(err, http.ErrServerClosed) {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

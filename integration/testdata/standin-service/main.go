// A stand-in service for the offline end-to-end test (integration/offline_test.go):
// the image the test builds and pushes for every service of the compatibility
// set. On 127.0.0.1:$UNISON_PORT it answers GET with {"status":"ok"} and POST
// (the inference check) with {"response":...}, as the real services' health and
// inference endpoints do.
package main

import (
	"encoding/json"
	"log"
	"net/http"
	"os"
)

func main() {
	svc, port := os.Getenv("UNISON_SERVICE"), os.Getenv("UNISON_PORT")
	if port == "" {
		log.Fatal("UNISON_PORT is not set")
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		body := map[string]string{"status": "ok", "service": svc}
		if r.Method == http.MethodPost {
			body = map[string]string{"response": "hello from " + svc + " (stand-in)"}
		}
		_ = json.NewEncoder(w).Encode(body)
	})
	log.Printf("%s listening on 127.0.0.1:%s", svc, port)
	log.Fatal(http.ListenAndServe("127.0.0.1:"+port, nil))
}

package pins

import (
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// SigURL is the detached signature Ubuntu publishes next to a SHA256SUMS.
func SigURL(sums string) string { return sums + ".gpg" }

// ReadKeys reads an armored OpenPGP public key file (a pin's signed_by):
// the keys whose signatures on SHA256SUMS are accepted.
func ReadKeys(name, armored string) (openpgp.EntityList, error) {
	keys, err := openpgp.ReadArmoredKeyRing(strings.NewReader(armored))
	if err != nil {
		return nil, fmt.Errorf("%s: not an armored OpenPGP public key file: %w", name, err)
	}
	for _, k := range keys {
		if k.PrivateKey != nil {
			return nil, fmt.Errorf("%s: holds a private key: give the public key only", name)
		}
		if _, ok := k.SigningKey(time.Now()); !ok {
			return nil, fmt.Errorf("%s: key %X cannot sign (expired or revoked?)", name, k.PrimaryKey.Fingerprint)
		}
	}
	return keys, nil
}

// VerifySums checks sig (SHA256SUMS.gpg: a detached signature, armored or
// binary) over sums with keys and returns the signer's fingerprint.
func VerifySums(keys openpgp.EntityList, sums, sig string) (string, error) {
	if len(keys) == 0 {
		return "", fmt.Errorf("no key to verify with (signed_by)")
	}
	check := openpgp.CheckDetachedSignature
	if strings.HasPrefix(strings.TrimSpace(sig), "-----BEGIN PGP SIGNATURE-----") {
		check = openpgp.CheckArmoredDetachedSignature
	}
	signer, err := check(keys, strings.NewReader(sums), strings.NewReader(sig), nil)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%X", signer.PrimaryKey.Fingerprint), nil
}

// checkKeyPath: signed_by names a key file under images/ (keys/NAME.asc).
func checkKeyPath(p string) error {
	if path.IsAbs(p) || path.Clean(p) != p || strings.HasPrefix(p, "..") || !strings.HasSuffix(p, ".asc") {
		return fmt.Errorf("%q: want a path under images/ to an armored public key, like keys/ubuntu-cdimage.asc", p)
	}
	return nil
}

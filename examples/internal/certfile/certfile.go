// Package certfile gives the examples their -tls-cert/-tls-key flags: a
// *tls.Config whose certificate is read from PEM files and read again,
// without a restart, when the files change (a renewal by certbot or a
// secret mounted by Kubernetes). It knows nothing of Shoal.
package certfile

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Flags turns the examples' -tls-cert and -tls-key flags into a server
// configuration: nil (plain TCP) when both are empty, an error when only
// one is given or the pair does not load.
func Flags(certFile, keyFile string) (*tls.Config, error) {
	switch {
	case certFile == "" && keyFile == "":
		return nil, nil
	case certFile == "" || keyFile == "":
		return nil, errors.New("-tls-cert and -tls-key go together")
	}
	r, err := New(certFile, keyFile)
	if err != nil {
		return nil, err
	}
	return &tls.Config{GetCertificate: r.GetCertificate, NextProtos: []string{"http/1.1"}}, nil
}

// Reloader serves a certificate from files, reloading it when either file's
// modification time changes (checked at most once per CheckEvery).
type Reloader struct {
	cert, key string

	mu      sync.Mutex
	current *tls.Certificate
	stamp   [2]time.Time // modification times of the loaded pair
	checked time.Time
}

// CheckEvery is how often a Reloader looks at its files' times.
var CheckEvery = time.Second

// New loads the pair once, failing if it does not load.
func New(certFile, keyFile string) (*Reloader, error) {
	r := &Reloader{cert: certFile, key: keyFile}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *Reloader) stamps() ([2]time.Time, error) {
	var st [2]time.Time
	for i, f := range []string{r.cert, r.key} {
		fi, err := os.Stat(f)
		if err != nil {
			return st, err
		}
		st[i] = fi.ModTime()
	}
	return st, nil
}

// load reads the pair; r.mu held or r not shared yet.
func (r *Reloader) load() error {
	st, err := r.stamps()
	if err != nil {
		return err
	}
	c, err := tls.LoadX509KeyPair(r.cert, r.key)
	if err != nil {
		return fmt.Errorf("certfile: %w", err)
	}
	r.current, r.stamp = &c, st
	return nil
}

// GetCertificate is a tls.Config.GetCertificate: the current certificate,
// reloaded first if its files changed. A pair that fails to load (a renewal
// caught half-written) keeps the previous one in service; the next check
// tries again.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if now := time.Now(); now.Sub(r.checked) >= CheckEvery {
		r.checked = now
		if st, err := r.stamps(); err == nil && st != r.stamp {
			_ = r.load()
		}
	}
	return r.current, nil
}

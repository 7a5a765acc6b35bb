package canary_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/vigil-sre/vigil/internal/canary"
)

// shortLivedTLSServer serves HTTPS with a self-signed certificate for
// 127.0.0.1 that expires in life; it returns the server and a pool
// trusting the certificate.
func shortLivedTLSServer(t *testing.T, life time.Duration, h http.Handler) (*httptest.Server, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(42), Subject: pkix.Name{CommonName: "canary.test"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(life),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"canary.test"},
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake errors are expected
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: cert}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return srv, pool
}

// runOnce builds a check from conf and runs it once.
func runOnce(t *testing.T, conf canary.Config, tlsConf *tls.Config) canary.Result {
	t.Helper()
	if conf.Name == "" {
		conf.Name = "probe"
	}
	c, err := canary.Build(conf, canary.BuildOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if tlsConf != nil {
		c.TLS = tlsConf
	}
	r, err := canary.NewRunner([]*canary.Check{c}, nil, canary.RunnerOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := r.RunOnce(context.Background(), c.Key())
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestProbe(t *testing.T) {
	t.Parallel()
	ok := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.Header.Get("Authorization") != "Bearer t0ken" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write([]byte(`{"status":"ok","items":[1]}`))
	})
	tlsSrv, pool := shortLivedTLSServer(t, 24*time.Hour, ok)
	plain := httptest.NewServer(ok)
	t.Cleanup(plain.Close)
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}))
	t.Cleanup(slow.Close)
	redirect := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			http.NotFound(w, r)
			return
		}
		http.Redirect(w, r, "/elsewhere", http.StatusFound)
	}))
	t.Cleanup(redirect.Close)
	closed := httptest.NewServer(ok)
	closed.Close()
	auth := map[string]string{"Authorization": "Bearer t0ken"}
	no := false

	tests := []struct {
		name       string
		conf       canary.Config
		tls        *tls.Config
		wantOK     bool
		wantStatus int
		wantFailed string // substring of the joined failures
		wantReason string
		wantErr    string
	}{
		{name: "all conditions hold", conf: canary.Config{URL: plain.URL, Headers: auth,
			Expect: []string{"status == 200", "latency < 5s", `json.status == "ok"`, "json.items.length > 0", `header.Content-Type contains "json"`}},
			wantOK: true, wantStatus: 200},
		{name: "failed conditions explained", conf: canary.Config{URL: plain.URL,
			Expect: []string{"status == 200", `body contains "ok"`}},
			wantStatus: 401, wantFailed: `status == 200 (status = 401); body contains "ok" (body = "")`,
			wantReason: `status == 200; body contains "ok"`},
		{name: "certificate expiring within 48h fails", conf: canary.Config{URL: tlsSrv.URL, Headers: auth,
			Expect: []string{"status == 200", "cert.expires_in > 48h"}}, tls: &tls.Config{RootCAs: pool},
			wantStatus: 200, wantFailed: "cert.expires_in > 48h (cert.expires_in = 23h", wantReason: "cert.expires_in > 48h"},
		{name: "certificate fine for an hour", conf: canary.Config{URL: tlsSrv.URL, Headers: auth,
			Expect: []string{"cert.expires_in > 1h", `cert.subject contains "canary.test"`}}, tls: &tls.Config{RootCAs: pool},
			wantOK: true, wantStatus: 200},
		{name: "untrusted certificate", conf: canary.Config{URL: tlsSrv.URL}, wantReason: "error: TLS: x509: certificate signed by unknown authority",
			wantErr: "x509: certificate signed by unknown authority"},
		{name: "insecure skip verify", conf: canary.Config{URL: tlsSrv.URL, Headers: auth, Expect: []string{"cert.expires_in < 48h"},
			TLS: &canary.TLSConfig{InsecureSkipVerify: true}}, wantOK: true, wantStatus: 200},
		{name: "timeout", conf: canary.Config{URL: slow.URL + "/?token=s3cret", Timeout: "200ms"}, wantReason: "error: timeout after 200ms",
			wantFailed: "request failed: timeout after 200ms", wantErr: "context deadline exceeded"},
		{name: "connection refused", conf: canary.Config{URL: closed.URL}, wantReason: "error: connection refused", wantErr: "connection refused"},
		{name: "redirect not followed", conf: canary.Config{URL: redirect.URL, FollowRedirects: &no, Expect: []string{"status == 302", `header.Location == "/elsewhere"`}},
			wantOK: true, wantStatus: 302},
		{name: "redirect followed", conf: canary.Config{URL: redirect.URL, Expect: []string{"status == 404"}}, wantOK: true, wantStatus: 404},
		{name: "post with body", conf: canary.Config{URL: plain.URL, Method: "post", Body: `{"q":1}`, Headers: auth}, wantOK: true, wantStatus: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runOnce(t, tt.conf, tt.tls)
			if res.OK != tt.wantOK || res.Status != tt.wantStatus {
				t.Errorf("ok %v status %d, want %v %d (%+v)", res.OK, res.Status, tt.wantOK, tt.wantStatus, res)
			}
			if failed := strings.Join(res.Failed, "; "); !strings.Contains(failed, tt.wantFailed) {
				t.Errorf("failed = %q, want %q", failed, tt.wantFailed)
			}
			if res.Reason != tt.wantReason {
				t.Errorf("reason = %q, want %q", res.Reason, tt.wantReason)
			}
			if !strings.Contains(res.Error, tt.wantErr) || tt.wantErr == "" && res.Error != "" {
				t.Errorf("error = %q, want %q", res.Error, tt.wantErr)
			}
			if strings.Contains(res.Error, "s3cret") {
				t.Errorf("error leaks the URL's token: %s", res.Error)
			}
			if strings.HasPrefix(tt.conf.URL, "https") && res.OK && res.CertExpires.IsZero() {
				t.Error("no CertExpires")
			}
		})
	}
}

package main

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha1"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"strings"
	"time"
)

// tlsConfig loads certFile/keyFile, creating a fresh self-signed pair there when they are missing
// (or in memory when no file is named), so a test can restart the server with the same or
// another certificate.
func tlsConfig(certFile, keyFile string) (*tls.Config, []byte, error) {
	if certFile != "" && keyFile == "" {
		return nil, nil, fmt.Errorf("-cert needs -key")
	}
	if certFile != "" {
		if _, err := os.Stat(certFile); err == nil {
			pair, err := tls.LoadX509KeyPair(certFile, keyFile)
			if err != nil {
				return nil, nil, err
			}
			return &tls.Config{Certificates: []tls.Certificate{pair}}, pair.Certificate[0], nil
		}
	}
	certPEM, keyPEM, err := selfSigned()
	if err != nil {
		return nil, nil, err
	}
	if certFile != "" {
		if err := os.WriteFile(certFile, certPEM, 0o600); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(keyFile, keyPEM, 0o600); err != nil {
			return nil, nil, err
		}
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, nil, err
	}
	return &tls.Config{Certificates: []tls.Certificate{pair}}, pair.Certificate[0], nil
}

func selfSigned() ([]byte, []byte, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return nil, nil, err
	}
	tmpl := x509.Certificate{
		SerialNumber: serial,
		// vCenter's own certificates are signed by the VMCA, which laptops do not trust: the
		// same situation as this self-signed one.
		Subject:     pkix.Name{CommonName: "vcsim.xtract.local", Organization: []string{"xtract-gui vcsim"}},
		NotBefore:   time.Now().Add(-time.Hour),
		NotAfter:    time.Now().Add(365 * 24 * time.Hour),
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost", "vcsim.xtract.local"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
	}
	der, err := x509.CreateCertificate(rand.Reader, &tmpl, &tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), nil
}

// sha1Thumbprint is the form vSphere puts in GenericServiceTicket.sslThumbprint.
func sha1Thumbprint(der []byte) string {
	sum := sha1.Sum(der)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

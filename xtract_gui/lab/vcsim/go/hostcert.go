package main

// ESXi's side of guest file transfers: vCenter hands out https://<esxi>:443/guestFile?… URLs and
// the ESXi host serves them with its own (usually self-signed) certificate, which vCenter also
// publishes as HostSystem.config.certificate (PEM).  Here one TLS listener on 127.0.0.1 stands for
// every host; its certificate is every host's config.certificate unless a test changes it:
//
//	POST /xtract/guestops?host=<moref>&certificate=transfer|other|none
//
// (other: a fresh certificate the listener does not present; none: the property is unset, as for
// hosts vCenter has no certificate of).
//
// govmomi 0.24.2 encodes []byte as one text element, whereas vSphere (and pyVmomi) encode xsd:byte
// arrays as one element per byte; fixByteArrays rewrites SOAP answers accordingly.

import (
	"bytes"
	"crypto/tls"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/simulator"
)

type transferServer struct {
	addr    string // 127.0.0.1:<port>
	certPEM []byte
	server  *http.Server
}

func startTransferServer() (*transferServer, error) {
	certPEM, keyPEM, err := selfSigned()
	if err != nil {
		return nil, err
	}
	pair, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/guestFile", serveGuestTransfer)
	srv := &http.Server{Handler: mux, TLSConfig: &tls.Config{Certificates: []tls.Certificate{pair}}}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	cleanups = append(cleanups, func() { _ = srv.Close() })
	return &transferServer{addr: ln.Addr().String(), certPEM: certPEM, server: srv}, nil
}

// setHostCertificates gives every host the transfer listener's certificate, as vCenter 6.0+ knows it.
func setHostCertificates(pem []byte) {
	for _, e := range simulator.Map.All("HostSystem") {
		if h, ok := e.(*simulator.HostSystem); ok {
			setHostCertificate(h, pem)
		}
	}
}

func setHostCertificate(h *simulator.HostSystem, pem []byte) {
	simulator.Map.WithLock(h, func() {
		if h.Config != nil {
			h.Config.Certificate = append([]byte(nil), pem...)
		}
	})
}

// controlHostCertificate answers POST /xtract/guestops?host=…&certificate=….
func controlHostCertificate(w http.ResponseWriter, ref, mode string) {
	var h *simulator.HostSystem
	for _, e := range simulator.Map.All("HostSystem") {
		if hs, ok := e.(*simulator.HostSystem); ok && hs.Self.Value == ref {
			h = hs
		}
	}
	if h == nil {
		http.Error(w, "no such host: "+ref, http.StatusNotFound)
		return
	}
	switch mode {
	case "transfer":
		setHostCertificate(h, guestOps.transfer.certPEM)
	case "other":
		other, _, err := selfSigned()
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		setHostCertificate(h, other)
	case "none":
		setHostCertificate(h, nil)
	default:
		http.Error(w, "certificate= transfer, other or none", http.StatusBadRequest)
		return
	}
	w.WriteHeader(http.StatusOK)
}

var pemElement = regexp.MustCompile(`<(certificate|byte)>(-----BEGIN [^<]*)</(?:certificate|byte)>`)

var xmlText = strings.NewReplacer("&#xA;", "\n", "&#xD;", "\r", "&#x9;", "\t", "&#10;", "\n", "&#13;", "\r",
	"&#9;", "\t", "&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`, "&apos;", "'")

// fixByteArrays turns <certificate>-----BEGIN…</certificate> into one element per (signed) byte.
func fixByteArrays(body []byte) []byte {
	if !bytes.Contains(body, []byte("-----BEGIN ")) {
		return body
	}
	return pemElement.ReplaceAllFunc(body, func(m []byte) []byte {
		sub := pemElement.FindSubmatch(m)
		name := string(sub[1])
		var out bytes.Buffer
		for _, b := range []byte(xmlText.Replace(string(sub[2]))) {
			out.WriteString("<" + name + ">" + strconv.Itoa(int(int8(b))) + "</" + name + ">")
		}
		return out.Bytes()
	})
}

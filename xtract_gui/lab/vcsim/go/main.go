// Command vcsim serves govmomi's vCenter simulator for xtract-gui's tests and lab.
//
// Debian ships govmomi's simulator library but no vcsim command; this main builds a VPX
// model, shapes its VMs like real ones (disk files, firmware, tools, NICs; see disks.go),
// adds what real vSphere does and govmomi 0.24.2 does not, each file naming its evidence and its
// remaining deviations in its header: changed block tracking and its silent resets (cbt.go,
// cbtquery.go), /folder as vCenter and ESXi serve it (folder.go), privileges (privileges.go), VM
// states (vmstate.go), guest operations (guestops.go and neighbours), paging (paging.go), slow
// tasks (slowtask.go) and, with -edge-cases, a datacenter of customers' edge cases (edge.go).  It
// serves until it is killed or its stdin closes.
// It prints one JSON line on stdout describing how to reach it (not the password).
//
// The login password comes from the environment (XTRACT_VCSIM_PASSWORD, default "pass"), never from
// the command line, where any local user could read it with ps.
//
// Build in GOPATH mode (xtract_gui/lab/vcsim/build.py does):
//
//	GO111MODULE=off GOPATH=<gopath with src/xtractvcsim -> xtract_gui/lab/vcsim/go>:/usr/share/gocode go build
package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/types"
)

// extension customises the model after Create and before the server starts.  Other files of
// this package add theirs from init() (e.g. guestops.go's GuestOperations process manager).
type extension func(m *simulator.Model) error

var extensions []extension

// rootFolder is the inventory's root (inventory paths start there).
var rootFolder types.ManagedObjectReference

// cleanups undo what extensions set up outside the model (temp dirs, listeners); main runs them
// on every way out it controls: a signal, stdin closing, or a start-up failure.
var cleanups []func()

func runCleanups() {
	for i := len(cleanups) - 1; i >= 0; i-- {
		cleanups[i]()
	}
	cleanups = nil
}

type ready struct {
	URL          string `json:"url"`
	User         string `json:"user"`
	DatastoreDir string `json:"datastore_dir"`
	Datastore    string `json:"datastore"`
	Datacenter   string `json:"datacenter"`
	Fingerprint  string `json:"fingerprint"`
	PID          int    `json:"pid"`
}

func main() {
	dc := flag.Int("dc", 1, "datacenters")
	cluster := flag.Int("cluster", 1, "clusters per datacenter")
	hosts := flag.Int("host", 3, "hosts per cluster")
	standalone := flag.Int("standalone-host", 1, "standalone hosts per datacenter")
	vms := flag.Int("vm", 2, "VMs per resource pool / standalone host")
	listen := flag.String("listen", "127.0.0.1:0", "address to listen on")
	useTLS := flag.Bool("tls", false, "serve https with a self-signed certificate")
	certFile := flag.String("cert", "", "PEM certificate (created with -key when missing)")
	keyFile := flag.String("key", "", "PEM private key")
	user := flag.String("username", "user", "login user name")
	cbtOn := flag.Bool("cbt", false, "enable changeTracking on every VM at start")
	maxAreas := flag.Int("cbt-max-areas", 64, "most changed areas per QueryChangedDiskAreas answer")
	checkFolder := flag.Bool("check-folder-session", false, "/folder accepts only live session cookies (vCenter does)")
	slowSnapshotMs := flag.Int("slow-snapshot-ms", 0, "CreateSnapshot_Task runs this long and can be cancelled")
	edgeCases := flag.Bool("edge-cases", false, "add the edge-case datacenter (edge.go)")
	stdinEOF := flag.Bool("exit-on-stdin-eof", false, "exit when stdin closes (the parent died)")
	flag.Parse()
	password := os.Getenv("XTRACT_VCSIM_PASSWORD")
	if password == "" {
		password = "pass"
	}
	// Read once; guest programs started later get an environment of their own, but nothing else
	// started from here needs to see it either.
	_ = os.Unsetenv("XTRACT_VCSIM_PASSWORD")

	if !strings.HasPrefix(*listen, "127.0.0.1:") && !strings.HasPrefix(*listen, "localhost:") {
		log.Fatalf("refusing to listen on %s: loopback only", *listen)
	}

	// Caught from the start, before anything is created: a SIGTERM that came before the ready line
	// was read used to end the process without its cleanups (temp dirs left in /tmp).
	done := make(chan os.Signal, 1)
	signal.Notify(done, syscall.SIGTERM, syscall.SIGINT)

	model := simulator.VPX()
	model.Datacenter = *dc
	model.Cluster = *cluster
	model.ClusterHost = *hosts
	model.Host = *standalone
	model.Machine = *vms
	if *edgeCases {
		if model.Datacenter < 2 {
			model.Datacenter = 2
		}
		model.Folder = 1 // the model then puts DC1 into a folder
	}
	if err := model.Create(); err != nil {
		log.Fatalf("model: %v", err)
	}
	rootFolder = model.ServiceContent.RootFolder
	defer model.Remove()
	defer runCleanups()
	// log.Fatalf skips deferred calls: remove the datastore temp dirs first.
	fail := func(format string, args ...interface{}) {
		runCleanups()
		model.Remove()
		log.Fatalf(format, args...)
	}

	if *edgeCases {
		if err := prepareEdgeInventory(); err != nil {
			fail("edge-case inventory: %v", err)
		}
	}
	shaped, err := shapeInventory(model, *cbtOn)
	if err != nil {
		fail("shaping the inventory: %v", err)
	}
	if *edgeCases {
		if err := shapeEdgeVMs(model); err != nil {
			fail("edge-case inventory: %v", err)
		}
	}
	permissions.user = *user
	for _, ext := range extensions {
		if err := ext(model); err != nil {
			fail("extension: %v", err)
		}
	}

	model.Service.Listen = &url.URL{Host: *listen, User: url.UserPassword(*user, password)}
	fingerprint, thumbprint := "", ""
	if *useTLS || *certFile != "" {
		cfg, der, err := tlsConfig(*certFile, *keyFile)
		if err != nil {
			fail("tls: %v", err)
		}
		model.Service.TLS = cfg
		fingerprint = colonHex(sha256.Sum256(der))
		thumbprint = sha1Thumbprint(der)
	}

	server := model.Service.NewServer()
	defer server.Close()
	cbt.maxAreas = *maxAreas
	slowSnapshot = time.Duration(*slowSnapshotMs) * time.Millisecond
	hooks := newInterceptor(server.Server.Config.Handler, shaped.datacenter, thumbprint)
	if *checkFolder {
		hooks.validSession = sessionChecker(model, *user)
	}
	// Replacing the handler right after start is safe: nobody knows the address yet.
	server.Server.Config.Handler = hooks
	server.Server.Config.ConnState = hooks.connState

	u := *server.URL
	u.User = nil
	out, _ := json.Marshal(ready{
		URL: u.String(), User: *user,
		DatastoreDir: shaped.datastoreDir, Datastore: shaped.datastore, Datacenter: shaped.datacenter,
		Fingerprint: fingerprint, PID: os.Getpid(),
	})
	fmt.Println(string(out))

	if *stdinEOF {
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			done <- syscall.SIGTERM
		}()
	}
	<-done
}

// sessionChecker asks the simulator's SessionManager whether a session cookie is still logged in.
func sessionChecker(model *simulator.Model, user string) func(string) bool {
	ctx := context.Background()
	c, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		log.Fatalf("in-process client: %v", err)
	}
	sm := *c.ServiceContent.SessionManager
	return func(id string) bool {
		res, err := methods.SessionIsActive(ctx, c, &types.SessionIsActive{This: sm, SessionID: id, UserName: user})
		return err == nil && res.Returnval
	}
}

func colonHex(sum [32]byte) string {
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}

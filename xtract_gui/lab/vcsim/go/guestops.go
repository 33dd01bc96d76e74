package main

// VMware Tools guest operations for the simulator (GuestFileManager, GuestProcessManager).
//
// govmomi 0.24.2's own guest operations need a Docker container behind the VM (and its
// ProcessManager has no methods at all), so both managers are replaced here.  Programs really run
// on this Linux machine, inside a directory that stands for the guest's root file system:
//
//   - XTRACT_VCSIM_GUEST_ROOT names it (default: a new temp dir, removed when the simulator exits;
//     a SIGKILLed simulator leaves it, so the pytest fixtures always name one under tmp_path);
//     every VM shares it;
//   - a guest path /a/b is <root>/a/b; a Windows path C:\a\b is <root>/C/a/b;
//   - programs run chrooted into <root> in a private mount namespace (unshare, as root); a root
//     without its own /bin/sh (a plain temp dir rather than a debootstrap root) gets this
//     machine's /usr, /bin, /sbin, /lib* mounted read-only, so /bin/bash works and writes land
//     only inside the guest root;
//   - Windows programs (cmd.exe, powershell.exe) cannot run: such a process ends at once with
//     exit code 9009, as cmd.exe does for an unknown command;
//   - credentials: user XTRACT_VCSIM_GUEST_USER (default root), password
//     XTRACT_VCSIM_GUEST_PASSWORD (default vmware); anything else is InvalidGuestLogin;
//   - guest operations need the VM powered on and guest.guestOperationsReady true, else
//     GuestOperationsUnavailable; POST /xtract/guestops?vm=<moref>&ready=false|true flips it, and
//     &fault=GuestComponentsOutOfDate|GuestPermissionDenied makes every guest operation on that VM
//     fail so (tests of the fault mapping; a real guest gets there by old Tools or guest ACLs);
//   - file transfer URLs are https://<ESXi host inventory name>:<port>/guestFile?token=… as vCenter
//     gives them (the names resolve nowhere; the hosts' one management IP, 127.0.0.1, reaches the
//     listener), served by a separate TLS listener standing for the ESXi hosts, whose certificate is each host's config.certificate
//     (hostcert.go); PUT stores, GET returns the file;
//   - GET /xtract/guestops answers {"root": …, "transfer": "127.0.0.1:<port>"}.
//
// Deviations from vSphere: one root for all VMs; no ownership/permission attributes; finished
// processes are kept until the simulator exits (vSphere keeps their exit code ~5 minutes);
// ListProcessesInGuest lists only processes started through StartProgramInGuest.

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func init() { extensions = append(extensions, installGuestOps) }

type guestOpsState struct {
	mu        sync.Mutex
	root      string
	user      string
	password  string
	nextPid   int64
	procs     map[string]map[int64]*guestProc // VM moref value → pid → process
	transfers map[string]guestTransfer        // URL token → file
	faults    map[string]string               // VM moref value → fault every guest operation raises
	transfer  *transferServer
}

var guestOps *guestOpsState

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func installGuestOps(m *simulator.Model) error {
	root := os.Getenv("XTRACT_VCSIM_GUEST_ROOT")
	if root == "" {
		dir, err := os.MkdirTemp("", "xtract-vcsim-guest-")
		if err != nil {
			return err
		}
		root = dir
		// Ours, so ours to remove (it held 1,220 leftovers after a day of test runs).  Guest programs
		// are stopped first; their read-only bind mounts live in their own mount namespaces, so
		// RemoveAll here only sees the empty mount points.
		cleanups = append(cleanups, func() {
			guestOps.killAll()
			_ = os.RemoveAll(dir)
		})
	}
	if err := os.MkdirAll(filepath.Join(root, "tmp"), 0o1777); err != nil {
		return err
	}
	guestOps = &guestOpsState{root: root, user: envOr("XTRACT_VCSIM_GUEST_USER", "root"),
		password: envOr("XTRACT_VCSIM_GUEST_PASSWORD", "vmware"), nextPid: 4000,
		procs: map[string]map[int64]*guestProc{}, transfers: map[string]guestTransfer{},
		faults: map[string]string{}}
	transfer, err := startTransferServer()
	if err != nil {
		return err
	}
	guestOps.transfer = transfer
	setHostCertificates(transfer.certPEM)

	gom := m.ServiceContent.GuestOperationsManager
	if gom == nil {
		return fmt.Errorf("the model has no GuestOperationsManager")
	}
	manager := simulator.Map.Get(*gom).(*simulator.GuestOperationsManager)
	fm := &xtractGuestFileManager{}
	fm.Self = *manager.FileManager
	simulator.Map.Put(fm)
	pm := &xtractGuestProcessManager{}
	pm.Self = *manager.ProcessManager
	simulator.Map.Put(pm)

	m.Service.HandleFunc("/xtract/guestops", serveGuestOpsControl)
	return nil
}

// hostPath maps a guest path into the guest root, refusing anything that climbs out of it.
func (g *guestOpsState) hostPath(guestPath string) (string, bool) {
	p := guestPath
	if len(p) >= 2 && p[1] == ':' { // C:\Windows\Temp → /C/Windows/Temp
		p = "/" + strings.ToUpper(p[:1]) + strings.ReplaceAll(p[2:], `\`, "/")
	}
	if !strings.HasPrefix(p, "/") {
		return "", false
	}
	clean := filepath.Clean(p)
	return filepath.Join(g.root, clean), true
}

func (g *guestOpsState) check(vmRef types.ManagedObjectReference, auth types.BaseGuestAuthentication) types.BaseMethodFault {
	obj := simulator.Map.Get(vmRef)
	vm, ok := obj.(*simulator.VirtualMachine)
	if !ok {
		return &types.ManagedObjectNotFound{Obj: vmRef}
	}
	var powered bool
	var ready bool
	simulator.Map.WithLock(vm, func() {
		powered = vm.Runtime.PowerState == types.VirtualMachinePowerStatePoweredOn
		ready = vm.Guest != nil && vm.Guest.GuestOperationsReady != nil && *vm.Guest.GuestOperationsReady
	})
	if !powered {
		return &types.InvalidPowerState{RequestedState: types.VirtualMachinePowerStatePoweredOn,
			ExistingState: vm.Runtime.PowerState}
	}
	g.mu.Lock()
	forced := g.faults[vmRef.Value]
	g.mu.Unlock()
	if !ready || forced == "GuestOperationsUnavailable" {
		return new(types.GuestOperationsUnavailable)
	}
	switch forced {
	case "GuestComponentsOutOfDate":
		return new(types.GuestComponentsOutOfDate)
	case "GuestPermissionDenied":
		return new(types.GuestPermissionDenied)
	}
	creds, ok := auth.(*types.NamePasswordAuthentication)
	if !ok || creds.Username != g.user || creds.Password != g.password {
		return new(types.InvalidGuestLogin)
	}
	return nil
}

// refused is the SOAP fault of a guest operation turned down before it starts (see check), or nil.
func (g *guestOpsState) refused(vmRef types.ManagedObjectReference, auth types.BaseGuestAuthentication) *soap.Fault {
	if f := g.check(vmRef, auth); f != nil {
		return simulator.Fault("", f)
	}
	return nil
}

// killAll stops every guest program still running (the simulator is exiting).
func (g *guestOpsState) killAll() {
	if g == nil { // start-up failed before the state existed
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, procs := range g.procs {
		for _, p := range procs {
			if p.cmd != nil && p.cmd.Process != nil && p.info.EndTime == nil {
				_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
			}
		}
	}
}

func serveGuestOpsControl(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if r.Method == http.MethodGet {
		_, _ = fmt.Fprintf(w, "{\"root\": %q, \"transfer\": %q}\n", guestOps.root, guestOps.transfer.addr)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "GET or POST only", http.StatusMethodNotAllowed)
		return
	}
	if host := q.Get("host"); host != "" {
		controlHostCertificate(w, host, q.Get("certificate"))
		return
	}
	vm := q.Get("vm")
	if vm == "" {
		http.Error(w, "vm= is required", http.StatusBadRequest)
		return
	}
	fault := q.Get("fault") // GuestOperationsUnavailable, GuestComponentsOutOfDate, GuestPermissionDenied or ""
	if q.Get("ready") == "false" {
		fault = "GuestOperationsUnavailable"
	}
	guestOps.mu.Lock()
	guestOps.faults[vm] = fault
	guestOps.mu.Unlock()
	_, _ = fmt.Fprintf(w, "{\"root\": %q}\n", guestOps.root)
}

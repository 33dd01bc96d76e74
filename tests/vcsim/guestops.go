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
//   - file transfer URLs are https://127.0.0.1:<port>/guestFile?token=…, served by a separate TLS
//     listener standing for the ESXi hosts, whose certificate is each host's config.certificate
//     (hostcert.go); PUT stores, GET returns the file;
//   - GET /xtract/guestops answers {"root": …, "transfer": "127.0.0.1:<port>"}.
//
// Deviations from vSphere: one root for all VMs; no ownership/permission attributes; finished
// processes are kept until the simulator exits (vSphere keeps their exit code ~5 minutes);
// ListProcessesInGuest lists only processes started through StartProgramInGuest.

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

func init() { extensions = append(extensions, installGuestOps) }

type guestProc struct {
	info types.GuestProcessInfo
	cmd  *exec.Cmd
}

type guestTransfer struct {
	host string // host path
	put  bool
}

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

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (g *guestOpsState) transferURL(host string, put bool) string {
	token := newToken()
	g.mu.Lock()
	g.transfers[token] = guestTransfer{host: host, put: put}
	g.mu.Unlock()
	return "https://" + g.transfer.addr + "/guestFile?token=" + token
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

type xtractGuestFileManager struct {
	mo.GuestFileManager
}

func (m *xtractGuestFileManager) InitiateFileTransferToGuest(ctx *simulator.Context, req *types.InitiateFileTransferToGuest) soap.HasFault {
	body := new(methods.InitiateFileTransferToGuestBody)
	if f := guestOps.check(req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	host, ok := guestOps.hostPath(req.GuestFilePath)
	if !ok {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "guestFilePath"})
		return body
	}
	if _, err := os.Stat(host); err == nil && !req.Overwrite {
		body.Fault_ = simulator.Fault("", &types.FileAlreadyExists{FileFault: types.FileFault{File: req.GuestFilePath}})
		return body
	}
	if _, err := os.Stat(filepath.Dir(host)); err != nil {
		body.Fault_ = simulator.Fault("", &types.FileNotFound{FileFault: types.FileFault{File: filepath.Dir(req.GuestFilePath)}})
		return body
	}
	body.Res = &types.InitiateFileTransferToGuestResponse{Returnval: guestOps.transferURL(host, true)}
	return body
}

func (m *xtractGuestFileManager) InitiateFileTransferFromGuest(ctx *simulator.Context, req *types.InitiateFileTransferFromGuest) soap.HasFault {
	body := new(methods.InitiateFileTransferFromGuestBody)
	if f := guestOps.check(req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	host, ok := guestOps.hostPath(req.GuestFilePath)
	st, err := os.Stat(host)
	if !ok || err != nil || st.IsDir() {
		body.Fault_ = simulator.Fault("", &types.FileNotFound{FileFault: types.FileFault{File: req.GuestFilePath}})
		return body
	}
	body.Res = &types.InitiateFileTransferFromGuestResponse{Returnval: types.FileTransferInformation{
		Attributes: &types.GuestPosixFileAttributes{}, Size: st.Size(), Url: guestOps.transferURL(host, false)}}
	return body
}

func (m *xtractGuestFileManager) MakeDirectoryInGuest(req *types.MakeDirectoryInGuest) soap.HasFault {
	body := new(methods.MakeDirectoryInGuestBody)
	if f := guestOps.check(req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	host, ok := guestOps.hostPath(req.DirectoryPath)
	if !ok {
		body.Fault_ = simulator.Fault("", &types.InvalidArgument{InvalidProperty: "directoryPath"})
		return body
	}
	var err error
	if req.CreateParentDirectories {
		err = os.MkdirAll(host, 0o755)
	} else {
		err = os.Mkdir(host, 0o755)
	}
	if err != nil {
		if os.IsExist(err) {
			body.Fault_ = simulator.Fault("", &types.FileAlreadyExists{FileFault: types.FileFault{File: req.DirectoryPath}})
		} else {
			body.Fault_ = simulator.Fault("", &types.FileNotFound{FileFault: types.FileFault{File: req.DirectoryPath}})
		}
		return body
	}
	body.Res = new(types.MakeDirectoryInGuestResponse)
	return body
}

func (m *xtractGuestFileManager) DeleteDirectoryInGuest(req *types.DeleteDirectoryInGuest) soap.HasFault {
	body := new(methods.DeleteDirectoryInGuestBody)
	if f := guestOps.check(req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	host, ok := guestOps.hostPath(req.DirectoryPath)
	if st, err := os.Stat(host); !ok || err != nil || !st.IsDir() {
		body.Fault_ = simulator.Fault("", &types.FileNotFound{FileFault: types.FileFault{File: req.DirectoryPath}})
		return body
	}
	var err error
	if req.Recursive {
		err = os.RemoveAll(host)
	} else {
		err = os.Remove(host)
	}
	if err != nil {
		body.Fault_ = simulator.Fault("", &types.DirectoryNotEmpty{FileFault: types.FileFault{File: req.DirectoryPath}})
		return body
	}
	body.Res = new(types.DeleteDirectoryInGuestResponse)
	return body
}

func (m *xtractGuestFileManager) DeleteFileInGuest(req *types.DeleteFileInGuest) soap.HasFault {
	body := new(methods.DeleteFileInGuestBody)
	if f := guestOps.check(req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	host, ok := guestOps.hostPath(req.FilePath)
	if st, err := os.Stat(host); !ok || err != nil || st.IsDir() {
		body.Fault_ = simulator.Fault("", &types.FileNotFound{FileFault: types.FileFault{File: req.FilePath}})
		return body
	}
	_ = os.Remove(host)
	body.Res = new(types.DeleteFileInGuestResponse)
	return body
}

type xtractGuestProcessManager struct {
	mo.GuestProcessManager
}

// sandbox runs its argument as a shell command chrooted into the guest root, inside a private mount
// namespace.  A root without its own /bin/sh gets this machine's /usr, /bin, /sbin, /lib* and
// /etc/alternatives (where awk & co. point) mounted read-only, so scripts run with the host's tools but write only inside the guest root.
const sandbox = `R="$XTRACT_GUEST_ROOT"
if [ ! -x "$R/bin/sh" ]; then
  for d in usr bin sbin lib lib32 lib64 libx32 etc/alternatives; do
    [ -e "/$d" ] || continue
    mkdir -p "$R/$d" && mount --bind "/$d" "$R/$d" && mount -o remount,bind,ro "$R/$d" || exit 126
  done
fi
mkdir -p "$R/dev" "$R/tmp" && mount --bind /dev "$R/dev" || exit 126
exec chroot "$R" /bin/sh -c 'cd "${XTRACT_CWD:-/}" && eval "$0"' "$1"`

func (g *guestOpsState) command(spec *types.GuestProgramSpec) *exec.Cmd {
	line := shellQuote(spec.ProgramPath) + " " + spec.Arguments
	cmd := exec.Command("unshare", "--mount", "--propagation", "private", "/bin/sh", "-c", sandbox, "sh", line)
	cmd.Env = append([]string{"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "XTRACT_GUEST_ROOT=" + g.root,
		"XTRACT_CWD=" + spec.WorkingDirectory}, spec.EnvVariables...)
	return cmd
}

func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

func windowsProgram(path string) bool {
	return len(path) >= 2 && path[1] == ':' || strings.HasSuffix(strings.ToLower(path), ".exe")
}

func (m *xtractGuestProcessManager) StartProgramInGuest(req *types.StartProgramInGuest) soap.HasFault {
	body := new(methods.StartProgramInGuestBody)
	g := guestOps
	if f := g.check(req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	spec := req.Spec.GetGuestProgramSpec()
	if spec.WorkingDirectory != "" {
		if host, ok := g.hostPath(spec.WorkingDirectory); !ok || !isDir(host) {
			body.Fault_ = simulator.Fault("", &types.FileNotFound{FileFault: types.FileFault{File: spec.WorkingDirectory}})
			return body
		}
	}
	g.mu.Lock()
	g.nextPid++
	pid := g.nextPid
	p := &guestProc{info: types.GuestProcessInfo{Name: filepath.Base(strings.ReplaceAll(spec.ProgramPath, `\`, "/")),
		Pid: pid, Owner: g.user, CmdLine: strings.TrimSpace(spec.ProgramPath + " " + spec.Arguments),
		StartTime: time.Now().UTC()}}
	if g.procs[req.Vm.Value] == nil {
		g.procs[req.Vm.Value] = map[int64]*guestProc{}
	}
	g.procs[req.Vm.Value][pid] = p
	g.mu.Unlock()

	if windowsProgram(spec.ProgramPath) {
		g.finish(p, 9009)
	} else {
		p.cmd = g.command(spec)
		p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
		if err := p.cmd.Start(); err != nil {
			g.finish(p, 127)
		} else {
			go func() {
				err := p.cmd.Wait()
				code := 0
				if exit, ok := err.(*exec.ExitError); ok {
					code = exit.ExitCode()
				} else if err != nil {
					code = 127
				}
				g.finish(p, int32(code))
			}()
		}
	}
	body.Res = &types.StartProgramInGuestResponse{Returnval: pid}
	return body
}

func isDir(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.IsDir()
}

func (g *guestOpsState) finish(p *guestProc, code int32) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if p.info.EndTime != nil {
		return
	}
	end := time.Now().UTC()
	p.info.EndTime = &end
	p.info.ExitCode = code
}

func (m *xtractGuestProcessManager) ListProcessesInGuest(req *types.ListProcessesInGuest) soap.HasFault {
	body := new(methods.ListProcessesInGuestBody)
	g := guestOps
	if f := g.check(req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []types.GuestProcessInfo
	procs := g.procs[req.Vm.Value]
	if len(req.Pids) == 0 {
		for _, p := range procs {
			out = append(out, p.info)
		}
	}
	for _, pid := range req.Pids {
		if p, ok := procs[pid]; ok {
			out = append(out, p.info)
		}
	}
	body.Res = &types.ListProcessesInGuestResponse{Returnval: out}
	return body
}

func (m *xtractGuestProcessManager) TerminateProcessInGuest(req *types.TerminateProcessInGuest) soap.HasFault {
	body := new(methods.TerminateProcessInGuestBody)
	g := guestOps
	if f := g.check(req.Vm, req.Auth); f != nil {
		body.Fault_ = simulator.Fault("", f)
		return body
	}
	g.mu.Lock()
	p, ok := g.procs[req.Vm.Value][req.Pid]
	g.mu.Unlock()
	if !ok {
		body.Fault_ = simulator.Fault("", &types.GuestProcessNotFound{Pid: req.Pid})
		return body
	}
	if p.cmd != nil && p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // the whole process group, as the guest would
	}
	body.Res = new(types.TerminateProcessInGuestResponse)
	return body
}

func serveGuestTransfer(w http.ResponseWriter, r *http.Request) {
	g := guestOps
	g.mu.Lock()
	t, ok := g.transfers[r.URL.Query().Get("token")]
	g.mu.Unlock()
	if !ok {
		http.Error(w, "unknown or expired transfer token", http.StatusNotFound)
		return
	}
	switch {
	case r.Method == http.MethodPut && t.put:
		f, err := os.Create(t.host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		_, err = io.Copy(f, r.Body)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.WriteHeader(http.StatusOK)
	case r.Method == http.MethodGet && !t.put:
		http.ServeFile(w, r, t.host)
	default:
		http.Error(w, "method not allowed for this transfer", http.StatusMethodNotAllowed)
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

package main

// The simulator's GuestProcessManager (see guestops.go for the guest root and its rules): guest
// programs run sandboxed in the guest root; their exit codes are kept for ListProcessesInGuest.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type guestProc struct {
	info types.GuestProcessInfo
	cmd  *exec.Cmd
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
	if body.Fault_ = g.refused(req.Vm, req.Auth); body.Fault_ != nil {
		return body
	}
	spec := req.Spec.GetGuestProgramSpec()
	if spec.WorkingDirectory != "" {
		if host, ok := g.hostPath(spec.WorkingDirectory); !ok || !isDir(host) {
			body.Fault_ = fileNotFound(spec.WorkingDirectory)
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

// process is the guest program pid started in the VM (moref value vm), or nil.
func (g *guestOpsState) process(vm string, pid int64) *guestProc {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.procs[vm][pid]
}

func (m *xtractGuestProcessManager) ListProcessesInGuest(req *types.ListProcessesInGuest) soap.HasFault {
	body := new(methods.ListProcessesInGuestBody)
	g := guestOps
	if body.Fault_ = g.refused(req.Vm, req.Auth); body.Fault_ != nil {
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
	if body.Fault_ = guestOps.refused(req.Vm, req.Auth); body.Fault_ != nil {
		return body
	}
	p := guestOps.process(req.Vm.Value, req.Pid)
	if p == nil {
		body.Fault_ = simulator.Fault("", &types.GuestProcessNotFound{Pid: req.Pid})
		return body
	}
	if p.cmd != nil && p.cmd.Process != nil {
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // the whole process group, as the guest would
	}
	body.Res = new(types.TerminateProcessInGuestResponse)
	return body
}

package main

// The simulator's GuestFileManager (see guestops.go for the guest root and its rules): file transfers
// to and from the guest through the ESXi-side TLS listener (hostcert.go), and directories and files
// made and removed in the guest root.

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/soap"
	"github.com/vmware/govmomi/vim25/types"
)

type guestTransfer struct {
	host string // host path
	put  bool
}

func newToken() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// transferURL names the ESXi host running the VM by its inventory name, as vCenter does
// ("https://<HostSystem.name>:443/guestFile?…"; govmomi guest/file_manager.go TransferURL, commit
// fd06160642a8c3609c0cd86e2bc25f2b4e974631).  The simulated hosts' names (DC0_C0_H0) resolve nowhere;
// their one management IP (vmk0, 127.0.0.1) reaches the transfer listener on the same port.
func (g *guestOpsState) transferURL(vmRef types.ManagedObjectReference, host string, put bool) string {
	token := newToken()
	g.mu.Lock()
	g.transfers[token] = guestTransfer{host: host, put: put}
	g.mu.Unlock()
	name := "127.0.0.1"
	if vm, ok := simulator.Map.Get(vmRef).(*simulator.VirtualMachine); ok && vm.Runtime.Host != nil {
		if h, ok := simulator.Map.Get(*vm.Runtime.Host).(*simulator.HostSystem); ok {
			name = h.Name
		}
	}
	_, port, _ := net.SplitHostPort(g.transfer.addr)
	return "https://" + net.JoinHostPort(name, port) + "/guestFile?token=" + token
}

type xtractGuestFileManager struct {
	mo.GuestFileManager
}

func fileNotFound(guestPath string) *soap.Fault {
	return simulator.Fault("", &types.FileNotFound{FileFault: types.FileFault{File: guestPath}})
}

// existing checks that the guest operation may run, then maps guestPath to the host path of the directory
// (dir) or file (!dir) that must be there; the fault says why not.
func existing(vmRef types.ManagedObjectReference, auth types.BaseGuestAuthentication, guestPath string, dir bool,
) (string, os.FileInfo, *soap.Fault) {
	if fault := guestOps.refused(vmRef, auth); fault != nil {
		return "", nil, fault
	}
	host, ok := guestOps.hostPath(guestPath)
	st, err := os.Stat(host)
	if !ok || err != nil || st.IsDir() != dir {
		return "", nil, fileNotFound(guestPath)
	}
	return host, st, nil
}

// placed checks that the guest operation may run, then maps guestPath, where something is to be made, to
// its host path; a path that is not absolute is an InvalidArgument on property.
func placed(vmRef types.ManagedObjectReference, auth types.BaseGuestAuthentication, guestPath, property string,
) (string, *soap.Fault) {
	if fault := guestOps.refused(vmRef, auth); fault != nil {
		return "", fault
	}
	host, ok := guestOps.hostPath(guestPath)
	if !ok {
		return "", simulator.Fault("", &types.InvalidArgument{InvalidProperty: property})
	}
	return host, nil
}

func (m *xtractGuestFileManager) InitiateFileTransferToGuest(ctx *simulator.Context, req *types.InitiateFileTransferToGuest) soap.HasFault {
	body := new(methods.InitiateFileTransferToGuestBody)
	host, fault := placed(req.Vm, req.Auth, req.GuestFilePath, "guestFilePath")
	if body.Fault_ = fault; fault != nil {
		return body
	}
	if _, err := os.Stat(host); err == nil && !req.Overwrite {
		body.Fault_ = simulator.Fault("", &types.FileAlreadyExists{FileFault: types.FileFault{File: req.GuestFilePath}})
		return body
	}
	if _, err := os.Stat(filepath.Dir(host)); err != nil {
		body.Fault_ = fileNotFound(filepath.Dir(req.GuestFilePath))
		return body
	}
	body.Res = &types.InitiateFileTransferToGuestResponse{Returnval: guestOps.transferURL(req.Vm, host, true)}
	return body
}

func (m *xtractGuestFileManager) InitiateFileTransferFromGuest(ctx *simulator.Context, req *types.InitiateFileTransferFromGuest) soap.HasFault {
	body := new(methods.InitiateFileTransferFromGuestBody)
	host, st, fault := existing(req.Vm, req.Auth, req.GuestFilePath, false)
	if body.Fault_ = fault; fault != nil {
		return body
	}
	body.Res = &types.InitiateFileTransferFromGuestResponse{Returnval: types.FileTransferInformation{
		Attributes: &types.GuestPosixFileAttributes{}, Size: st.Size(), Url: guestOps.transferURL(req.Vm, host, false)}}
	return body
}

func (m *xtractGuestFileManager) MakeDirectoryInGuest(req *types.MakeDirectoryInGuest) soap.HasFault {
	body := new(methods.MakeDirectoryInGuestBody)
	host, fault := placed(req.Vm, req.Auth, req.DirectoryPath, "directoryPath")
	if body.Fault_ = fault; fault != nil {
		return body
	}
	mkdir := os.Mkdir
	if req.CreateParentDirectories {
		mkdir = os.MkdirAll
	}
	if err := mkdir(host, 0o755); err != nil {
		if os.IsExist(err) {
			body.Fault_ = simulator.Fault("", &types.FileAlreadyExists{FileFault: types.FileFault{File: req.DirectoryPath}})
		} else {
			body.Fault_ = fileNotFound(req.DirectoryPath)
		}
		return body
	}
	body.Res = new(types.MakeDirectoryInGuestResponse)
	return body
}

// deleteInGuest removes the directory (dir; with what it holds when recursive) or the file at guestPath.
func deleteInGuest(vmRef types.ManagedObjectReference, auth types.BaseGuestAuthentication, guestPath string,
	dir, recursive bool) *soap.Fault {
	host, _, fault := existing(vmRef, auth, guestPath, dir)
	if fault != nil {
		return fault
	}
	remove := os.Remove
	if recursive {
		remove = os.RemoveAll
	}
	if err := remove(host); err != nil && dir {
		return simulator.Fault("", &types.DirectoryNotEmpty{FileFault: types.FileFault{File: guestPath}})
	}
	return nil
}

func (m *xtractGuestFileManager) DeleteDirectoryInGuest(req *types.DeleteDirectoryInGuest) soap.HasFault {
	body := &methods.DeleteDirectoryInGuestBody{
		Fault_: deleteInGuest(req.Vm, req.Auth, req.DirectoryPath, true, req.Recursive)}
	if body.Fault_ == nil {
		body.Res = new(types.DeleteDirectoryInGuestResponse)
	}
	return body
}

func (m *xtractGuestFileManager) DeleteFileInGuest(req *types.DeleteFileInGuest) soap.HasFault {
	body := &methods.DeleteFileInGuestBody{Fault_: deleteInGuest(req.Vm, req.Auth, req.FilePath, false, false)}
	if body.Fault_ == nil {
		body.Res = new(types.DeleteFileInGuestResponse)
	}
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

package main

// Privileges as vCenter evaluates them, which govmomi 0.24.2 does not: its
// AuthorizationManager.HasPrivilegeOnEntities answers "granted" for every privilege of every entity,
// and no method checks one.
//
// Permissions are set with the real API (AuthorizationManager.AddAuthorizationRole,
// SetEntityPermissions, RemoveEntityPermission; passed on to the simulator too) and kept here per
// entity.  The login user starts with the Admin role on the root folder, propagating, as an
// administrator@vsphere.local does.  The effective role on an entity is that of the nearest entity on
// the way up (the entity itself, or an ancestor whose permission propagates) holding a permission for
// the user; none means no access.  HasPrivilegeOnEntities answers from it, AuthorizationManager's
// privilegeList lists the Admin role's privileges (a real vCenter lists ~400), and these calls are
// refused with NoPermission as vCenter refuses them: CreateSnapshot_Task and RemoveSnapshot_Task
// (VirtualMachine.State.CreateSnapshot/RemoveSnapshot on the VM), ReconfigVM_Task turning change
// tracking on or off (VirtualMachine.Config.ChangeTracking), and /folder (Datastore.Browse on the
// datastore, folder.go).  Forklift checks the same way before it migrates:
// kubev2v/forklift pkg/controller/provider/container/vsphere/permissions.go
// (commit d42511bb28a605af9303b097333baa61d6c74a00).
//
// Deviations: group principals are ignored (only the login user's own permissions count); a VM inherits
// only along ManagedEntity.parent (vCenter also combines the resource pool and host hierarchy); other
// methods are not checked; the sessionId argument is not checked against the session's user.

import (
	"fmt"
	"net/http"
	"strings"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

type permissionModel struct {
	mu     sync.Mutex
	user   string
	auth   *simulator.AuthorizationManager
	grants map[types.ManagedObjectReference][]types.Permission
}

var permissions = &permissionModel{grants: map[types.ManagedObjectReference][]types.Permission{}}

func init() { extensions = append(extensions, installPermissions) }

func installPermissions(m *simulator.Model) error {
	ref := m.ServiceContent.AuthorizationManager
	if ref == nil {
		return fmt.Errorf("the model has no AuthorizationManager")
	}
	auth := simulator.Map.Get(*ref).(*simulator.AuthorizationManager)
	permissions.auth = auth
	admin := permissions.role("Admin")
	if admin == nil {
		return fmt.Errorf("the model has no Admin role")
	}
	simulator.Map.WithLock(auth, func() {
		auth.PrivilegeList = nil
		for _, id := range admin.Privilege {
			group := id[:strings.LastIndex(id, ".")]
			auth.PrivilegeList = append(auth.PrivilegeList, types.AuthorizationPrivilege{
				PrivId: id, Name: id[len(group)+1:], PrivGroupName: group, OnParent: false})
		}
	})
	permissions.grants[rootFolder] = []types.Permission{{Entity: &rootFolder, Principal: permissions.user,
		RoleId: admin.RoleId, Propagate: true}}
	return nil
}

func (p *permissionModel) role(name string) *types.AuthorizationRole {
	var found *types.AuthorizationRole
	simulator.Map.WithLock(p.auth, func() {
		for i := range p.auth.RoleList {
			if p.auth.RoleList[i].Name == name {
				r := p.auth.RoleList[i]
				found = &r
			}
		}
	})
	return found
}

func (p *permissionModel) roleByID(id int32) []string {
	var privs []string
	simulator.Map.WithLock(p.auth, func() {
		for _, r := range p.auth.RoleList {
			if r.RoleId == id {
				privs = append(privs, r.Privilege...)
			}
		}
	})
	return privs
}

func (p *permissionModel) set(entity types.ManagedObjectReference, perms []types.Permission) {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.grants[entity][:0:0]
	for _, old := range p.grants[entity] {
		replaced := false
		for _, n := range perms {
			replaced = replaced || (n.Principal == old.Principal && n.Group == old.Group)
		}
		if !replaced {
			kept = append(kept, old)
		}
	}
	p.grants[entity] = append(kept, perms...)
}

func (p *permissionModel) remove(entity types.ManagedObjectReference, user string, group bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	kept := p.grants[entity][:0:0]
	for _, old := range p.grants[entity] {
		if old.Principal != user || old.Group != group {
			kept = append(kept, old)
		}
	}
	p.grants[entity] = kept
}

// effective is the set of privileges the login user holds on ref.
func (p *permissionModel) effective(ref types.ManagedObjectReference) map[string]bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, _ := simulator.Map.Get(ref).(mo.Entity)
	for depth := 0; e != nil && depth < 64; depth++ {
		for _, perm := range p.grants[e.Reference()] {
			if perm.Group || perm.Principal != p.user || (depth > 0 && !perm.Propagate) {
				continue
			}
			out := map[string]bool{}
			for _, id := range p.roleByID(perm.RoleId) {
				out[id] = true
			}
			return out
		}
		parent := e.Entity().Parent
		if vm, ok := e.(*simulator.VirtualMachine); ok && vm.ParentVApp != nil {
			parent = vm.ParentVApp // a vApp's VMs inherit through the vApp
		}
		if parent == nil {
			break
		}
		e, _ = simulator.Map.Get(*parent).(mo.Entity)
	}
	return map[string]bool{}
}

// missing is "" when the user holds priv on ref, else the reason vCenter would give.
func (p *permissionModel) missing(ref types.ManagedObjectReference, priv string) string {
	if p.auth == nil || simulator.Map.Get(ref) == nil || p.effective(ref)[priv] {
		return "" // an object that does not exist is the simulator's to refuse (ManagedObjectNotFound)
	}
	return fmt.Sprintf("Permission to perform this operation was denied: %s on %s %s", priv, ref.Type, ref.Value)
}

func writeNoPermission(w http.ResponseWriter, ref types.ManagedObjectReference, priv string) {
	writeBody(w, http.StatusInternalServerError, fmt.Sprintf(
		`<soapenv:Fault><faultcode>ServerFaultCode</faultcode><faultstring>Permission to perform this operation was denied.</faultstring><detail><NoPermissionFault xmlns="urn:vim25" xsi:type="NoPermission"><object type="%s">%s</object><privilegeId>%s</privilegeId></NoPermissionFault></detail></soapenv:Fault>`,
		xmlEscape(ref.Type), xmlEscape(ref.Value), xmlEscape(priv)))
}

func (h *interceptor) hasPrivilegeOnEntities(w http.ResponseWriter, req *types.HasPrivilegeOnEntities) {
	var b strings.Builder
	b.WriteString(`<HasPrivilegeOnEntitiesResponse xmlns="urn:vim25">`)
	for _, e := range req.Entity {
		held := permissions.effective(e)
		fmt.Fprintf(&b, `<returnval><entity type="%s">%s</entity>`, xmlEscape(e.Type), xmlEscape(e.Value))
		for _, id := range req.PrivId {
			fmt.Fprintf(&b, `<privAvailability><privId>%s</privId><isGranted>%t</isGranted></privAvailability>`,
				xmlEscape(id), held[id])
		}
		b.WriteString(`</returnval>`)
	}
	b.WriteString(`</HasPrivilegeOnEntitiesResponse>`)
	h.count("has_privilege_on_entities")
	writeBody(w, http.StatusOK, b.String())
}

// checkPrivilege answers NoPermission (and returns false) when a method's privilege is missing.
func (h *interceptor) checkPrivilege(w http.ResponseWriter, this types.ManagedObjectReference, req interface{}) bool {
	var target types.ManagedObjectReference
	priv := ""
	switch x := req.(type) {
	case *types.CreateSnapshot_Task:
		target, priv = this, "VirtualMachine.State.CreateSnapshot"
	case *types.RemoveSnapshot_Task:
		if snap, ok := simulator.Map.Get(this).(*simulator.VirtualMachineSnapshot); ok {
			target, priv = snap.Vm, "VirtualMachine.State.RemoveSnapshot"
		}
	case *types.ReconfigVM_Task:
		if x.Spec.ChangeTrackingEnabled != nil {
			target, priv = this, "VirtualMachine.Config.ChangeTracking"
		}
	}
	if priv == "" || permissions.missing(target, priv) == "" {
		return true
	}
	h.count("no_permission")
	writeNoPermission(w, target, priv)
	return false
}

// permissionCall passes permission changes on to the simulator and keeps them here too.
func (h *interceptor) permissionCall(w http.ResponseWriter, r *http.Request, req interface{}) {
	rec := record(h.next, r)
	if rec.Code == http.StatusOK {
		switch x := req.(type) {
		case *types.SetEntityPermissions:
			permissions.set(x.Entity, x.Permission)
		case *types.RemoveEntityPermission:
			permissions.remove(x.Entity, x.User, x.IsGroup)
		}
	}
	replay(w, rec)
}

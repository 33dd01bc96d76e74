package main

// VM states govmomi 0.24.2 does not produce, and how vSphere answers in them:
//
//   - ShutdownGuest, RebootGuest and StandbyGuest need VMware Tools running in the guest; without it
//     vSphere faults ToolsUnavailable (vSphere API reference, VirtualMachine.ShutdownGuest: "Thrown if
//     VMware Tools is not running").  The simulator powers such a VM off as if the guest had shut down.
//   - A failed consolidation: RemoveSnapshot_Task succeeds and the snapshot leaves the tree, but the VM
//     keeps running on its delta disks and runtime.consolidationNeeded turns true (vSphere "Virtual
//     machine disks consolidation is needed"; the fix is VirtualMachine.ConsolidateVMDisks_Task, served
//     here).  POST /xtract/vm?vm=<moref>&failConsolidation=true makes the next removal fail so.
//   - runtime.connectionState other than connected (disconnected, orphaned, inaccessible, invalid):
//     POST /xtract/vm?vm=<moref>&connectionState=orphaned.
//   - A VM in a vApp has parent unset and parentVApp set (vSphere API, ManagedEntity.parent: "null ... for
//     VirtualMachine objects that are part of a VirtualApp"): answers to property retrievals leave
//     "parent" out for such VMs (hideParent).
//
// Deviations: the delta disks left by a failed consolidation hold no data of their own (the flat file
// stays the whole disk, see cbt.go), and the simulator keeps a vApp VM in its folder's childEntity
// internally (its own code needs VM.parent).

import (
	"fmt"
	"net/http"
	"regexp"
	"sync"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

type vmStates struct {
	mu            sync.Mutex
	failNext      map[string]bool // VM moref value → the next snapshot removal leaves its deltas
	orphanDeltas  map[string]int  // VM moref value → delta levels left by failed consolidations
	hiddenParents map[string]bool // VM moref value → "parent" is unset (the VM is in a vApp)
}

var vmState = &vmStates{failNext: map[string]bool{}, orphanDeltas: map[string]int{}, hiddenParents: map[string]bool{}}

func init() {
	extensions = append(extensions, func(m *simulator.Model) error {
		m.Service.HandleFunc("/xtract/vm", serveVMControl)
		return nil
	})
}

func (s *vmStates) orphans(vm string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.orphanDeltas[vm]
}

// toolsUnavailable faults guest power operations on a VM whose VMware Tools is not running.
func toolsUnavailable(w http.ResponseWriter, this types.ManagedObjectReference) bool {
	vm, ok := simulator.Map.Get(this).(*simulator.VirtualMachine)
	if !ok {
		return false
	}
	running := false
	simulator.Map.WithLock(vm, func() {
		running = vm.Guest != nil &&
			vm.Guest.ToolsRunningStatus == string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
	})
	if running || vm.Runtime.PowerState != types.VirtualMachinePowerStatePoweredOn {
		return false // powered off: the simulator's own InvalidPowerState answer is right
	}
	writeFault(w, "ToolsUnavailable", "Cannot complete operation because VMware Tools is not running in this virtual machine.", "")
	return true
}

// afterRemoveSnapshot runs under the VM's lock once RemoveSnapshot_Task succeeded: either the disks
// move back up the chain (a normal consolidation) or, when a failure was asked for, they stay.
func afterRemoveSnapshot(vm *simulator.VirtualMachine, depthBefore int) {
	vmState.mu.Lock()
	fail := vmState.failNext[vm.Self.Value]
	delete(vmState.failNext, vm.Self.Value)
	if fail {
		vmState.orphanDeltas[vm.Self.Value] += depthBefore - snapshotDepth(vm)
	}
	vmState.mu.Unlock()
	if fail {
		vm.Runtime.ConsolidationNeeded = types.NewBool(true)
	}
	rechain(vm)
}

func (h *interceptor) consolidate(w http.ResponseWriter, this types.ManagedObjectReference) {
	vm, ok := simulator.Map.Get(this).(*simulator.VirtualMachine)
	if !ok {
		writeFault(w, "ManagedObjectNotFound", "The object has already been deleted or has not been completely created", this.Value)
		return
	}
	task := simulator.CreateTask(vm, "consolidateVMDisks", func(t *simulator.Task) (types.AnyType, types.BaseMethodFault) {
		h.hooks.Lock()
		defer h.hooks.Unlock()
		simulator.Map.WithLock(vm, func() {
			vmState.mu.Lock()
			delete(vmState.orphanDeltas, vm.Self.Value)
			vmState.mu.Unlock()
			vm.Runtime.ConsolidationNeeded = types.NewBool(false)
			rechain(vm)
		})
		return nil, nil
	})
	writeBody(w, http.StatusOK, fmt.Sprintf(
		`<ConsolidateVMDisks_TaskResponse xmlns="urn:vim25"><returnval type="Task">%s</returnval></ConsolidateVMDisks_TaskResponse>`,
		task.Run().Value))
}

var connectionStates = map[string]bool{"connected": true, "disconnected": true, "orphaned": true,
	"inaccessible": true, "invalid": true}

// serveVMControl answers POST /xtract/vm?vm=<moref>&failConsolidation=true&connectionState=….
func serveVMControl(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	vm, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "VirtualMachine", Value: q.Get("vm")}).(*simulator.VirtualMachine)
	if !ok {
		http.Error(w, "no such VM: "+q.Get("vm"), http.StatusNotFound)
		return
	}
	if state := q.Get("connectionState"); state != "" {
		if !connectionStates[state] {
			http.Error(w, "connectionState: connected, disconnected, orphaned, inaccessible or invalid", http.StatusBadRequest)
			return
		}
		cs := types.VirtualMachineConnectionState(state)
		simulator.Map.WithLock(vm, func() {
			simulator.Map.Update(vm, []types.PropertyChange{{Name: "runtime.connectionState", Val: cs},
				{Name: "summary.runtime.connectionState", Val: cs}})
		})
	}
	if q.Get("failConsolidation") != "" {
		vmState.mu.Lock()
		vmState.failNext[vm.Self.Value] = q.Get("failConsolidation") == "true"
		vmState.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, "{\"vm\": %q}\n", vm.Self.Value)
}

// One object's properties: <objects> in RetrievePropertiesEx answers, <returnval> in RetrieveProperties ones.
var objectElements = []*regexp.Regexp{
	regexp.MustCompile(`(?s)<objects><obj type="VirtualMachine">([^<]+)</obj>.*?</objects>`),
	regexp.MustCompile(`(?s)<returnval><obj type="VirtualMachine">([^<]+)</obj>.*?</returnval>`),
}
var parentProp = regexp.MustCompile(`<propSet><name>parent</name><val [^>]*>[^<]*</val></propSet>`)

// hideParent leaves "parent" out of property answers for VMs that are in a vApp.
func hideParent(body []byte) []byte {
	vmState.mu.Lock()
	any := len(vmState.hiddenParents) > 0
	vmState.mu.Unlock()
	if !any {
		return body
	}
	for _, element := range objectElements {
		element := element
		body = element.ReplaceAllFunc(body, func(obj []byte) []byte {
			id := string(element.FindSubmatch(obj)[1])
			vmState.mu.Lock()
			hidden := vmState.hiddenParents[id]
			vmState.mu.Unlock()
			if !hidden {
				return obj
			}
			return parentProp.ReplaceAll(obj, nil)
		})
	}
	return body
}

// pyVmomi reads one property with the hidden Fetch method (simulator/internal, not importable here).
var fetchParent = regexp.MustCompile(`<Fetch[^>]*>\s*<_this[^>]*type="VirtualMachine"[^>]*>([^<]+)</_this>\s*<prop[^>]*>parent</prop>`)

// fetchHiddenParent answers Fetch(parent) of a vApp VM: unset.
func fetchHiddenParent(w http.ResponseWriter, body []byte) bool {
	m := fetchParent.FindSubmatch(body)
	if m == nil {
		return false
	}
	vmState.mu.Lock()
	hidden := vmState.hiddenParents[string(m[1])]
	vmState.mu.Unlock()
	if hidden {
		writeBody(w, http.StatusOK, `<FetchResponse xmlns="urn:vim25"></FetchResponse>`)
	}
	return hidden
}

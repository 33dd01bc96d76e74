package main

// QueryChangedDiskAreas over the records of cbt.go, the silent CBT reset control and disk extension
// (see cbt.go's header for the vSphere behaviour each follows).

import (
	"fmt"
	"net/http"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25/types"
)

func init() {
	extensions = append(extensions, func(m *simulator.Model) error {
		m.Service.HandleFunc("/xtract/cbt", serveCBTControl)
		return nil
	})
}

type cbtFault struct {
	kind  string // FileFault | InvalidArgument | ManagedObjectNotFound
	text  string
	field string // FileFault.file, InvalidArgument.invalidProperty
}

func changeIDPrefix(id string) string {
	if i := strings.LastIndex(id, "/"); i >= 0 {
		return id[:i]
	}
	return id
}

// query answers QueryChangedDiskAreas for the disk as of snap.
func (s *cbtState) query(vm *simulator.VirtualMachine, snap *simulator.VirtualMachineSnapshot, key int32,
	start int64, changeID string) (*types.DiskChangeInfo, *cbtFault) {
	var disk *types.VirtualDisk
	for _, d := range snap.Config.Hardware.Device {
		if x, ok := d.(*types.VirtualDisk); ok && x.Key == key {
			disk = x
		}
	}
	if disk == nil {
		return nil, &cbtFault{"InvalidArgument", "A specified parameter was not correct: deviceKey", "deviceKey"}
	}
	b, flat := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	if !flat {
		name := disk.Backing.(types.BaseVirtualDeviceFileBackingInfo).GetVirtualDeviceFileBackingInfo().FileName
		return nil, &cbtFault{"FileFault", "Error caused by file " + name, name}
	}
	file := baseBacking(b).FileName
	fileFault := &cbtFault{"FileFault", "Error caused by file " + file, file}
	if !isTrue(vm.Config.ChangeTrackingEnabled) || b.ChangeId == "" {
		return nil, fileFault
	}
	capacity := disk.CapacityInBytes
	if start < 0 || start > capacity {
		return nil, &cbtFault{"InvalidArgument", "A specified parameter was not correct: startOffset", "startOffset"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.disks[fmt.Sprintf("%s/%d", vm.Self.Value, key)]
	if d == nil {
		return nil, fileFault
	}
	now, ok := d.epochs[b.ChangeId]
	if !ok {
		return nil, fileFault
	}
	var then []blockHash
	if changeID != "*" {
		if then, ok = d.epochs[changeID]; !ok {
			if !d.previous[changeIDPrefix(changeID)] {
				return nil, fileFault
			}
			then = d.baseline // a changeId from before a silent reset: answered, wrongly, since the reset
		}
	}
	changed := func(i int64) bool {
		if then == nil {
			return now[i].allocated
		}
		if i >= int64(len(then)) {
			return false // added by an extend: not tracked against this changeId (KB 2090639)
		}
		return now[i].sum != then[i].sum
	}

	info := &types.DiskChangeInfo{StartOffset: start, Length: capacity - start}
	for i := start / blockSize; i < int64(len(now)); i++ {
		if !changed(i) {
			continue
		}
		from := i * blockSize
		if from < start {
			from = start
		}
		to := (i + 1) * blockSize
		if to > capacity {
			to = capacity
		}
		if n := len(info.ChangedArea); n > 0 {
			last := &info.ChangedArea[n-1]
			if last.Start+last.Length == from {
				last.Length = to - last.Start
				continue
			}
			if n == s.maxAreas {
				// Full: the answer covers up to the end of the last area; the client continues there.
				info.Length = last.Start + last.Length - start
				break
			}
		}
		info.ChangedArea = append(info.ChangedArea, types.DiskChangeExtent{Start: from, Length: to - from})
	}
	return info, nil
}

// silentReset restarts a disk's tracking under a new changeId UUID without telling anyone.
func (s *cbtState) silentReset(vm *simulator.VirtualMachine, key int32) error {
	var disk *types.VirtualDisk
	for _, d := range vm.Config.Hardware.Device {
		if x, ok := d.(*types.VirtualDisk); ok && x.Key == key {
			disk = x
		}
	}
	if disk == nil {
		return fmt.Errorf("no disk %d", key)
	}
	b, ok := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
	if !ok {
		return fmt.Errorf("disk %d is not a flat disk", key)
	}
	file, err := datastoreFile(baseBacking(b).FileName)
	if err != nil {
		return err
	}
	hashes, err := hashFile(flatFile(file), disk.CapacityInBytes)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := fmt.Sprintf("%s/%d", vm.Self.Value, key)
	old := s.disks[k]
	d := &diskCBT{prefix: newChangeIDPrefix(), epochs: map[string][]blockHash{}, previous: map[string]bool{},
		baseline: hashes}
	if old != nil {
		d.previous[old.prefix] = true
		for p := range old.previous {
			d.previous[p] = true
		}
	}
	s.disks[k] = d
	for c := b; c != nil; c = c.Parent {
		c.ChangeId = "" // the next snapshot issues the first changeId of the new UUID
	}
	return nil
}

// serveCBTControl answers POST /xtract/cbt?vm=<moref>&disk=<key>&silentReset=true.
func serveCBTControl(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	vm, ok := simulator.Map.Get(types.ManagedObjectReference{Type: "VirtualMachine", Value: q.Get("vm")}).(*simulator.VirtualMachine)
	key, err := strconv.Atoi(q.Get("disk"))
	if r.Method != http.MethodPost || !ok || err != nil || q.Get("silentReset") != "true" {
		http.Error(w, "POST vm=<moref>&disk=<key>&silentReset=true", http.StatusBadRequest)
		return
	}
	simulator.Map.WithLock(vm, func() { err = cbt.silentReset(vm, int32(key)) })
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = fmt.Fprintf(w, "{\"vm\": %q, \"disk\": %d}\n", vm.Self.Value, key)
}

// growDisks follows a ReconfigVM that extended disks: their flat files grow to the new capacity
// (capacityInKB or capacityInBytes, whichever says more, as the request may set either).
func growDisks(vm *simulator.VirtualMachine) error {
	for _, d := range vm.Config.Hardware.Device {
		disk, ok := d.(*types.VirtualDisk)
		if !ok {
			continue
		}
		b, flat := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
		if !flat {
			continue
		}
		size := disk.CapacityInBytes
		if kb := disk.CapacityInKB * 1024; kb > size {
			size = kb
		}
		disk.CapacityInBytes, disk.CapacityInKB = size, size/1024
		file, err := datastoreFile(baseBacking(b).FileName)
		if err != nil {
			return err
		}
		st, err := os.Stat(flatFile(file))
		if err != nil {
			continue // not one of ours (no flat file)
		}
		if st.Size() < size {
			if err := os.Truncate(flatFile(file), size); err != nil {
				return err
			}
		}
		// ESXi rewrites the descriptor's extent with the new size.
		text, err := os.ReadFile(file)
		if err != nil {
			return err
		}
		grown := extentLine.ReplaceAll(text, []byte(fmt.Sprintf("${1}%d${2}", size/512)))
		if err := os.WriteFile(file, grown, 0o644); err != nil {
			return err
		}
	}
	return nil
}

var extentLine = regexp.MustCompile(`(?m)^(RW )\d+( VMFS )`)

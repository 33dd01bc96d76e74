package main

// Shapes the VPX model's VMs like real ones, deterministically by their position in name order
// (k), so tests can name what they expect:
//
//	guest      k%4: 0 windows9Server64Guest, 1 rhel7_64Guest, 2 ubuntu64Guest, 3 otherGuest
//	firmware   even k: efi (secure boot when k%4==0); odd k: bios
//	hardware   even k: vmx-19, odd k: vmx-13
//	tools      running (guest operations ready) unless k%4==3, which has tools not running
//	disk1      pvscsi 0:0, capacities by k%4: 8 MiB, 6 MiB+100 KiB, 12 MiB, 4 MiB; thick when k%4==2
//	disk2      odd k: lsilogic-sas 1:0, 3 MiB+7 KiB; independent_persistent when k%4==3
//	NICs       every VM: the model's e1000 on DC0_DVPG0 (distributed port group);
//	           even k: a vmxnet3 on "VM Network" (standard port group)
//	guest IPs  10.0.<k/250>.<k%250+10>, host name vm<k>.lab.local
//
// Every disk gets a descriptor as ESXi writes one on VMFS (createType="vmfs", one VMFS extent naming
// "<disk>-flat.vmdk", no offset; govmomi vmdk/descriptor_test.go, commit
// fd06160642a8c3609c0cd86e2bc25f2b4e974631) and a sparse -flat.vmdk extent with data in three places
// (start, a run across a 64 KiB block boundary in the middle, and the tail).

import (
	"context"
	"crypto/sha256"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/simulator"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

const (
	kib = 1024
	mib = 1024 * kib
)

var diskSizes = []int64{8 * mib, 6*mib + 100*kib, 12 * mib, 4 * mib}

const secondDiskSize = 3*mib + 7*kib

type shapedModel struct {
	datastoreDir string
	datastore    string
	datacenter   string
}

var guestIDs = []struct{ id, full, family string }{
	{"windows9Server64Guest", "Microsoft Windows Server 2016 or later (64-bit)", "windowsGuest"},
	{"rhel7_64Guest", "Red Hat Enterprise Linux 7 (64-bit)", "linuxGuest"},
	{"ubuntu64Guest", "Ubuntu Linux (64-bit)", "linuxGuest"},
	{"otherGuest", "Other (32-bit)", "otherGuestFamily"},
}

func shapeInventory(model *simulator.Model, cbtOn bool) (*shapedModel, error) {
	ctx := context.Background()
	c, err := vim25.NewClient(ctx, model.Service)
	if err != nil {
		return nil, err
	}
	// The first datacenter (DC0) and its datastore: what tests and the lab read by default, also when
	// the edge-case inventory adds a second datacenter (edge.go).
	var dc *simulator.Datacenter
	for _, e := range simulator.Map.All("Datacenter") {
		if d := e.(*simulator.Datacenter); dc == nil || d.Name == "DC0" {
			dc = d
		}
	}
	var ds *simulator.Datastore
	for _, e := range simulator.Map.All("Datastore") {
		if d := e.(*simulator.Datastore); datacenterOf(d) == dc.Self && (ds == nil || d.Name < ds.Name) {
			ds = d
		}
	}
	shaped := &shapedModel{
		datastoreDir: ds.Info.GetDatastoreInfo().Url,
		datastore:    ds.Name,
		datacenter:   dc.Name,
	}

	all := simulator.Map.All("VirtualMachine")
	sort.Slice(all, func(i, j int) bool {
		return all[i].(*simulator.VirtualMachine).Name < all[j].(*simulator.VirtualMachine).Name
	})
	for k, e := range all {
		if err := shapeVM(ctx, c, e.(*simulator.VirtualMachine), k, cbtOn); err != nil {
			return nil, fmt.Errorf("%s: %w", e.(*simulator.VirtualMachine).Name, err)
		}
	}
	return shaped, nil
}

func shapeVM(ctx context.Context, c *vim25.Client, vm *simulator.VirtualMachine, k int, cbtOn bool) error {
	obj := object.NewVirtualMachine(c, vm.Self)
	g := guestIDs[k%4]

	spec := types.VirtualMachineConfigSpec{GuestId: g.id, NumCPUs: int32(2 + 2*(k%2)), NumCoresPerSocket: 2,
		MemoryMB: int64(1024 * (1 + k%4))}
	if k%2 == 0 {
		spec.Firmware = string(types.GuestOsDescriptorFirmwareTypeEfi)
		spec.BootOptions = &types.VirtualMachineBootOptions{EfiSecureBootEnabled: types.NewBool(k%4 == 0)}
	}
	if cbtOn {
		spec.ChangeTrackingEnabled = types.NewBool(true)
	}
	if err := reconfigure(ctx, obj, spec); err != nil {
		return err
	}

	devices, err := obj.Device(ctx)
	if err != nil {
		return err
	}
	dsRef := vm.Datastore[0]
	if k%2 == 1 {
		ctrl, err := devices.CreateSCSIController("lsilogic-sas")
		if err != nil {
			return err
		}
		if err := obj.AddDevice(ctx, ctrl); err != nil {
			return err
		}
		if devices, err = obj.Device(ctx); err != nil {
			return err
		}
		sas := devices.SelectByType((*types.VirtualLsiLogicSASController)(nil))[0].(types.BaseVirtualController)
		disk := devices.CreateDisk(sas, dsRef, fmt.Sprintf("[%s] %s/disk2.vmdk", dsName(dsRef), vm.Name))
		disk.CapacityInKB = secondDiskSize / kib
		if k%4 == 3 {
			disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo).DiskMode = string(types.VirtualDiskModeIndependent_persistent)
		}
		if err := obj.AddDevice(ctx, disk); err != nil {
			return err
		}
	}
	if k%2 == 0 {
		backing := &types.VirtualEthernetCardNetworkBackingInfo{
			VirtualDeviceDeviceBackingInfo: types.VirtualDeviceDeviceBackingInfo{DeviceName: "VM Network"},
		}
		nic, err := devices.CreateEthernetCard("vmxnet3", backing)
		if err != nil {
			return err
		}
		if err := obj.AddDevice(ctx, nic); err != nil {
			return err
		}
	}

	simulator.Map.WithLock(vm, func() { err = shapeVMObject(vm, k, g.full, g.family) })
	return err
}

func reconfigure(ctx context.Context, obj *object.VirtualMachine, spec types.VirtualMachineConfigSpec) error {
	task, err := obj.Reconfigure(ctx, spec)
	if err != nil {
		return err
	}
	return task.Wait(ctx)
}

func dsName(ref types.ManagedObjectReference) string {
	return simulator.Map.Get(ref).(*simulator.Datastore).Name
}

// shapeVMObject sets what ReconfigVM cannot: guest info reported by VMware Tools, the hardware
// version, disk capacities in bytes, and the disk files themselves.
func shapeVMObject(vm *simulator.VirtualMachine, k int, fullName, family string) error {
	vm.Config.GuestFullName = fullName
	vm.Summary.Config.GuestFullName = fullName
	if k%2 == 0 {
		vm.Config.Version = "vmx-19"
	} else {
		vm.Config.Version = "vmx-13"
	}
	ip := fmt.Sprintf("10.0.%d.%d", k/250, k%250+10)
	vm.Guest.HostName = fmt.Sprintf("vm%d.lab.local", k)
	vm.Guest.GuestId = vm.Config.GuestId
	vm.Guest.GuestFullName = fullName
	vm.Guest.GuestFamily = family
	vm.Guest.IpAddress = ip
	if k%4 == 3 {
		vm.Guest.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsNotRunning)
		vm.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsNotRunning
		vm.Guest.GuestOperationsReady = types.NewBool(false)
		vm.Guest.GuestState = "notRunning"
		vm.Guest.IpAddress = ""
	} else {
		vm.Guest.ToolsRunningStatus = string(types.VirtualMachineToolsRunningStatusGuestToolsRunning)
		vm.Guest.ToolsStatus = types.VirtualMachineToolsStatusToolsOk
		vm.Guest.GuestOperationsReady = types.NewBool(true)
		vm.Guest.GuestState = "running"
	}
	vm.Guest.ToolsVersionStatus2 = string(types.VirtualMachineToolsVersionStatusGuestToolsCurrent)
	vm.Guest.ToolsVersion = "12352"
	vm.Summary.Guest = &types.VirtualMachineGuestSummary{
		GuestId: vm.Guest.GuestId, GuestFullName: fullName, ToolsRunningStatus: vm.Guest.ToolsRunningStatus,
		HostName: vm.Guest.HostName, IpAddress: vm.Guest.IpAddress,
	}
	vm.Guest.Net = nil
	for _, d := range vm.Config.Hardware.Device {
		nic, ok := d.(types.BaseVirtualEthernetCard)
		if !ok {
			continue
		}
		card := nic.GetVirtualEthernetCard()
		// The model gives every VM the same MACs; real ones are unique per vCenter.
		card.MacAddress = fmt.Sprintf("00:50:56:%02x:%02x:%02x", (k>>8)&0x3f, k&0xff, len(vm.Guest.Net)+1)
		card.AddressType = string(types.VirtualEthernetCardMacTypeManual)
		info := types.GuestNicInfo{MacAddress: card.MacAddress, Connected: true, DeviceConfigId: card.Key}
		if vm.Guest.IpAddress != "" && len(vm.Guest.Net) == 0 {
			info.IpAddress = []string{ip}
		}
		vm.Guest.Net = append(vm.Guest.Net, info)
	}

	ordinal := 0
	for _, d := range vm.Config.Hardware.Device {
		disk, ok := d.(*types.VirtualDisk)
		if !ok {
			continue
		}
		ordinal++
		size := diskSizes[k%4]
		if ordinal > 1 {
			size = secondDiskSize
		}
		disk.CapacityInBytes = size
		disk.CapacityInKB = size / kib
		b := disk.Backing.(*types.VirtualDiskFlatVer2BackingInfo)
		if ordinal == 1 && k%4 == 2 {
			b.ThinProvisioned = types.NewBool(false)
		}
		b.Uuid = diskUUID(vm.Name, disk.Key)
		if err := writeDiskFiles(b.FileName, size, vm.Name, disk.Key, controllerKind(vm, disk)); err != nil {
			return err
		}
	}
	return nil
}

func controllerKind(vm *simulator.VirtualMachine, disk *types.VirtualDisk) string {
	for _, d := range vm.Config.Hardware.Device {
		if d.GetVirtualDevice().Key != disk.ControllerKey {
			continue
		}
		switch d.(type) {
		case *types.ParaVirtualSCSIController:
			return "pvscsi"
		case *types.VirtualLsiLogicSASController:
			return "lsisas1068"
		}
	}
	return "lsilogic"
}

func diskUUID(vmName string, key int32) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", vmName, key)))
	return fmt.Sprintf("6000C29%x-%x-%x-%x-%x", sum[0:4], sum[4:6], sum[6:8], sum[8:10], sum[10:16])[0:43]
}

// datastoreFile turns "[LocalDS_0] vm/disk1.vmdk" into the file in the datastore's directory.
func datastoreFile(name string) (string, error) {
	var p object.DatastorePath
	if !p.FromString(name) {
		return "", fmt.Errorf("not a datastore path: %q", name)
	}
	for _, e := range simulator.Map.All("Datastore") {
		ds := e.(*simulator.Datastore)
		if ds.Name == p.Datastore {
			return filepath.Join(ds.Info.GetDatastoreInfo().Url, p.Path), nil
		}
	}
	return "", fmt.Errorf("no datastore %q", p.Datastore)
}

// flatFile names the extent of a descriptor, as our descriptors do: "<base>-flat.vmdk".
func flatFile(descriptor string) string {
	return strings.TrimSuffix(descriptor, ".vmdk") + "-flat.vmdk"
}

// descriptor is a disk descriptor as ESXi writes it; header lines go after createType (encryptionKeys).
func descriptor(size int64, createType, kind, extent, adapter string, key int32, header string) string {
	sectors := size / 512
	return fmt.Sprintf(`# Disk DescriptorFile
version=1
encoding="UTF-8"
CID=%08x
parentCID=ffffffff
createType="%s"
%s
# Extent description
RW %d %s "%s"

# The Disk Data Base
#DDB

ddb.adapterType = "%s"
ddb.geometry.cylinders = "%d"
ddb.geometry.heads = "255"
ddb.geometry.sectors = "63"
ddb.thinProvisioned = "1"
ddb.uuid = "60 00 c2 9a 1b 2c 3d 4e-5f 60 71 82 93 a4 b5 %02x"
ddb.virtualHWVersion = "13"
`, uint32(size)^uint32(key), createType, header, sectors, kind, extent, adapter, sectors/(255*63)+1, key&0xff)
}

func writeDiskFiles(name string, size int64, vmName string, key int32, adapter string) error {
	descPath, err := datastoreFile(name)
	if err != nil {
		return err
	}
	flat := flatFile(descPath)
	desc := descriptor(size, "vmfs", "VMFS", path.Base(flat), adapter, key, "")
	if err := os.WriteFile(descPath, []byte(desc), 0o644); err != nil {
		return err
	}
	f, err := os.OpenFile(flat, os.O_CREATE|os.O_RDWR|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.Truncate(size); err != nil {
		return err
	}
	// Data at the start (a boot sector), across a 64 KiB block boundary in the middle, and in the
	// partial last block: CBT's "*" answer must find exactly these.
	seed := sha256.Sum256([]byte(fmt.Sprintf("%s/%d", vmName, key)))
	writes := []struct{ off, n int64 }{{0, 4096}, {size/2 - 1000, 70000}, {size - 3000, 3000}}
	for _, w := range writes {
		buf := make([]byte, w.n)
		for i := range buf {
			buf[i] = seed[i%len(seed)] ^ byte(i/len(seed)) | 1
		}
		if _, err := f.WriteAt(buf, w.off); err != nil {
			return err
		}
	}
	return nil
}

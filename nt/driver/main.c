// SPDX-License-Identifier: GPL-2.0
/*
 * colinux.sys: driver entry, the device object and its symbolic link,
 * and the IRP dispatch. Every handle gets its own context; IOCTLs act on
 * the context of the file object they arrive on, so a VM can only be
 * driven through the handle that created it.
 */
#include "driver.h"

NTSTATUS DriverEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg);

static PDEVICE_OBJECT device;
static UNICODE_STRING link_name;

static NTSTATUS complete(PIRP irp, NTSTATUS st, ULONG_PTR info)
{
	irp->IoStatus.Status = st;
	irp->IoStatus.Information = info;
	IoCompleteRequest(irp, IO_NO_INCREMENT);
	return st;
}

static NTSTATUS on_create(PDEVICE_OBJECT dev, PIRP irp)
{
	PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
	struct co_nt_ctx *c;

	/* Opening a "file" below the device name is not a thing. */
	if (s->FileObject->FileName.Length)
		return complete(irp, STATUS_OBJECT_NAME_NOT_FOUND, 0);
	/*
	 * A guest runs with the CPU's full privileges: only those who may
	 * load drivers anyway may start one.
	 */
	if (!SeSinglePrivilegeCheck(RtlConvertLongToLuid(SE_LOAD_DRIVER_PRIVILEGE),
				    irp->RequestorMode))
		return complete(irp, STATUS_PRIVILEGE_NOT_HELD, 0);
	c = co_nt_ctx_new();
	if (!c)
		return complete(irp, STATUS_INSUFFICIENT_RESOURCES, 0);
	s->FileObject->FsContext = c;
	return complete(irp, STATUS_SUCCESS, 0);
}

/* The last handle is gone; requests in flight may still be running. */
static NTSTATUS on_cleanup(PDEVICE_OBJECT dev, PIRP irp)
{
	PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);

	if (s->FileObject->FsContext)
		co_nt_ctx_closing(s->FileObject->FsContext);
	return complete(irp, STATUS_SUCCESS, 0);
}

/* No request is in flight any more: tear the VM down. */
static NTSTATUS on_close(PDEVICE_OBJECT dev, PIRP irp)
{
	PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);

	if (s->FileObject->FsContext)
		co_nt_ctx_free(s->FileObject->FsContext);
	s->FileObject->FsContext = NULL;
	return complete(irp, STATUS_SUCCESS, 0);
}

static NTSTATUS on_ioctl(PDEVICE_OBJECT dev, PIRP irp)
{
	PIO_STACK_LOCATION s = IoGetCurrentIrpStackLocation(irp);
	ULONG code = s->Parameters.DeviceIoControl.IoControlCode;
	ULONG in_len = s->Parameters.DeviceIoControl.InputBufferLength;
	ULONG out_len = s->Parameters.DeviceIoControl.OutputBufferLength;
	void *buf = irp->AssociatedIrp.SystemBuffer;
	struct co_nt_ctx *c = s->FileObject->FsContext;
	NTSTATUS st = STATUS_SUCCESS;
	size_t n;

	if (!c)
		return complete(irp, STATUS_INVALID_HANDLE, 0);
	/* Our codes are all METHOD_BUFFERED with read+write access. */
	if ((code >> 16) != CO_NT_DEVICE_TYPE || (code & 3) != 0)
		return complete(irp, STATUS_INVALID_DEVICE_REQUEST, 0);
	if ((in_len || out_len) && !buf)
		return complete(irp, STATUS_INVALID_PARAMETER, 0);
	if (((uintptr_t)buf & 7) != 0)
		return complete(irp, STATUS_DATATYPE_MISALIGNMENT, 0);
	n = co_nt_ioctl(c, code, buf, in_len, out_len, &st);
	return complete(irp, st, NT_SUCCESS(st) ? n : 0);
}

static void driver_unload(PDRIVER_OBJECT drv)
{
	IoDeleteSymbolicLink(&link_name);
	if (device)
		IoDeleteDevice(device);
	co_nt_host_exit();
	co_host_log(CO_LOG_INFO, "unloaded");
}

NTSTATUS DriverEntry(PDRIVER_OBJECT drv, PUNICODE_STRING reg)
{
	struct co_nt_info info;
	UNICODE_STRING dev_name;
	NTSTATUS st;

	st = co_nt_host_init();
	if (!NT_SUCCESS(st))
		return st;
	co_nt_checks(&info);
	if (info.run_ok)
		co_host_log(CO_LOG_INFO, "loaded; guests can run on this machine");
	else
		co_host_log(CO_LOG_WARN, info.why);
	RtlInitUnicodeString(&dev_name, CO_NT_DEVICE_NAME);
	RtlInitUnicodeString(&link_name, CO_NT_LINK_NAME);
	st = IoCreateDevice(drv, 0, &dev_name, FILE_DEVICE_UNKNOWN,
			    FILE_DEVICE_SECURE_OPEN, FALSE, &device);
	if (!NT_SUCCESS(st))
		goto fail;
	st = IoCreateSymbolicLink(&link_name, &dev_name);
	if (!NT_SUCCESS(st))
		goto fail_device;
	device->Flags |= DO_BUFFERED_IO;
	drv->MajorFunction[IRP_MJ_CREATE] = on_create;
	drv->MajorFunction[IRP_MJ_CLEANUP] = on_cleanup;
	drv->MajorFunction[IRP_MJ_CLOSE] = on_close;
	drv->MajorFunction[IRP_MJ_DEVICE_CONTROL] = on_ioctl;
	drv->DriverUnload = driver_unload;
	return STATUS_SUCCESS;
fail_device:
	IoDeleteDevice(device);
	device = NULL;
fail:
	co_nt_host_exit();
	return st;
}

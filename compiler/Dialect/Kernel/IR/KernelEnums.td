//===- KernelEnums.td - Enums of the kernel dialect --------*- tablegen -*-===//
//
// Apart from KernelOps.td so that their C++ is generated once (the ops'
// file also sees nn's enums).
//
//===----------------------------------------------------------------------===//

#ifndef ALEXC_KERNEL_ENUMS
#define ALEXC_KERNEL_ENUMS

include "mlir/IR/EnumAttr.td"

def Kernel_Placement : I32EnumAttr<"Placement",
    "where a planned buffer lives", [
  I32EnumAttrCase<"Argument", 0, "argument">,
  I32EnumAttrCase<"Arena", 1, "arena">,
  I32EnumAttrCase<"Persistent", 2, "persistent">,
  I32EnumAttrCase<"InPlace", 3, "inplace">,
  I32EnumAttrCase<"Slice", 4, "slice">
]> {
  let cppNamespace = "::alexc::kernel";
  let genSpecializedAttr = 0;
  let description = [{
    A function argument (the caller's buffer); the arena, transient
    intermediates reused once dead; the persistent region, values that
    outlive the step (gradients, results); the storage of an input that
    the result overwrites; or a slice: a range of dimension 1 of the one
    concat that reads the result, which the producer writes in place (rows
    strided by the concat's row) so that the concat copies nothing.
  }];
}

#endif // ALEXC_KERNEL_ENUMS

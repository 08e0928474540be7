// The elementwise kernels of rvos_native (elementwise.cc), added to the addon's exports.
#pragma once
#include <node_api.h>

namespace rvos {
void DefineElementwise(napi_env env, napi_value exports, napi_property_attributes attrs);
}

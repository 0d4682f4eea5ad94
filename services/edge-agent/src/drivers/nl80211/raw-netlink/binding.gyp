{
  "targets": [
    {
      "target_name": "raw_netlink",
      "sources": ["raw_netlink.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}

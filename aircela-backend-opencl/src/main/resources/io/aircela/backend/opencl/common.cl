// Shared by every AirCELA OpenCL kernel. Built with -D WG=<work-group size of the reduction kernels>
// (a power of two). Only OpenCL C 1.2 core features: no cl_khr_fp16 (halves are read and written with
// vload_half / vstore_half_rte, which every device has), no doubles.

// No a*b+c contraction into fma: the dequantization below must round exactly as the Java Dequantizers do.
#pragma OPENCL FP_CONTRACT OFF

// Sum of one float per work-item over the work-group; every item gets the total. red: WG floats.
float wg_sum(float v, __local float *red) {
    int lid = get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] += red[lid + s];
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float total = red[0];
    barrier(CLK_LOCAL_MEM_FENCE); // red is reused by the caller's next reduction
    return total;
}

// Maximum over the work-group; every item gets it.
float wg_max(float v, __local float *red) {
    int lid = get_local_id(0);
    red[lid] = v;
    barrier(CLK_LOCAL_MEM_FENCE);
    for (int s = WG / 2; s > 0; s >>= 1) {
        if (lid < s) red[lid] = fmax(red[lid], red[lid + s]);
        barrier(CLK_LOCAL_MEM_FENCE);
    }
    float m = red[0];
    barrier(CLK_LOCAL_MEM_FENCE);
    return m;
}

// An IEEE binary16 value at byte p (2-byte aligned: every ggml block keeps its halves on even offsets).
float half_at(__global const uchar *p) {
    return vload_half(0, (__global const half *) p);
}

// v rounded to the nearest fp16 value (ties to even), as a float: ggml converts q to the cache's type.
float round_to_half(float v) {
    ushort h;
    vstore_half_rte(v, 0, (__private half *) &h);
    return vload_half(0, (__private const half *) &h);
}

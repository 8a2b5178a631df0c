from experiments.bench_env import bench_size


def test_bench_reports_rates_and_side_by_side_ratios(small_world):
    r = bench_size(small_world, batch=16, seconds=0.05, repeats=2)
    for key in ("bound", "batched", "vector", "bound_single", "single"):
        assert r[key] > 0, key
    for key in ("batched_over_bound", "vector_over_bound", "single_over_bound_single"):
        lo, hi = r[f"{key}_range"]
        assert 0 < lo <= r[key] <= hi, key

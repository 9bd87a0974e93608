import CAllocationCounter

// Counts the heap allocations of each scenario (AllocationScenarios.swift) and prints one JSON object per
// line: {"scenario":…,"operations":…,"allocations":…}. The count is the smallest of five runs after a
// warm-up run (one-time caches are not the workload's). The test AllocationBudgetTests compares these
// numbers with Benchmarks/allocation-limits.json.
var selected = Set(CommandLine.arguments.dropFirst())
for scenario in AllocationScenarios.all() where selected.isEmpty || selected.contains(scenario.name) {
    scenario.run()
    var fewest = Int.max
    for _ in 0..<5 {
        iothub_allocation_counter_reset()
        scenario.run()
        fewest = min(fewest, iothub_allocation_counter_allocations())
    }
    print(#"{"scenario":"\#(scenario.name)","operations":\#(scenario.operations),"allocations":\#(fewest)}"#)
}

"""Issue 15's model-based test: random sequences of every step of 智能审批 and what surrounds
it, with every invariant checked after each step (the model: model_machine.py). `make test`
runs a bounded, derandomized search on each database; `make fuzz` a longer random one."""
from hypothesis.stateful import run_state_machine_as_test
from model_machine import ModelMachine, model_settings


def test_every_invariant_holds_over_random_sequences(model_app):
    run_state_machine_as_test(ModelMachine, settings=model_settings())
    print("\nsteps reached:", dict(sorted(ModelMachine.seen.items())))
    if ModelMachine.recorded:
        print("known defects seen (KNOWN_DEFECTS):")
        for defect, message in ModelMachine.recorded.items():
            print(f"  {defect}: {message}")

# lit configuration for alexc's IR tests.
import os
import lit.formats

config.name = "alexc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".json", ".test"]
config.excludes = ["lit.cfg.py", "lit.site.cfg.py", "Inputs", "CMakeLists.txt"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.alexc_obj_root, "tests", "lit")

config.environment["PATH"] = os.pathsep.join(
    [config.alexc_tools_dir, config.llvm_tools_dir, config.environment.get("PATH", "")]
)
config.substitutions.append(("%models", os.path.join(config.alexc_src_root, "models")))
config.substitutions.append(("%inputs", os.path.join(os.path.dirname(__file__), "Inputs")))

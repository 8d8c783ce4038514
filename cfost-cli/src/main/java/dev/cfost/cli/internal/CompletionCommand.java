package dev.cfost.cli.internal;

import java.util.concurrent.Callable;
import picocli.AutoComplete;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/**
 * {@code cfost completion bash|zsh}: prints picocli's completion script for the whole command tree. The
 * script is a bash one; zsh runs it through its {@code bashcompinit}, which the script turns on itself.
 */
@Command(name = "completion", mixinStandardHelpOptions = true,
    footer = {"  source <(cfost completion bash)   # in ~/.bashrc", "  source <(cfost completion zsh)    # in ~/.zshrc"},
    description = {"Print a script that completes cfost's commands and options with Tab in bash or zsh.",
        "Load it from the shell's start file; the 'cfost' command must be on the PATH."})
final class CompletionCommand implements Callable<Integer> {
  /** The shells the script works in. */
  enum Shell { bash, zsh }

  @Spec CommandSpec spec;

  @Parameters(paramLabel = "SHELL", description = "bash or zsh.")
  Shell shell;

  @Override
  public Integer call() {
    spec.commandLine().getOut().print(AutoComplete.bash("cfost", spec.root().commandLine()));
    return 0;
  }
}

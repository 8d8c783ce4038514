package dev.cfost.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The help of every command, and what an unknown command does, run through {@link Cli#run}. */
class CliHelpTest {

  /** What one run printed and returned. */
  private record Run(int code, String out, String err) {}

  private static Run run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Cli.run(args, new ByteArrayInputStream(new byte[0]), out, err, Map.of());
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Every command of the tree, as the words that name it ({@code [device, pair]}); the root is {@code []}. */
  private static List<List<String>> commands() {
    CommandLine root = Cli.commandLine(new CfostCommand(System.in, Map.of()), new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter()));
    List<List<String>> out = new ArrayList<>();
    collect(root, new ArrayList<>(), out);
    return out;
  }

  private static void collect(CommandLine cl, List<String> path, List<List<String>> out) {
    out.add(List.copyOf(path));
    cl.getSubcommands().forEach((name, sub) -> {
      path.add(name);
      collect(sub, path, out);
      path.remove(path.size() - 1);
    });
  }

  @Test
  void everyCommandsHelpEndsWithAnExample() {
    List<List<String>> commands = commands();
    assertThat(commands).hasSizeGreaterThan(30).contains(List.of("completion"), List.of("device", "pair"),
        List.of("server", "backup"), List.of("help"));
    for (List<String> command : commands) {
      List<String> args = new ArrayList<>(command);
      args.add("--help");
      Run r = run(args.toArray(String[]::new));
      String what = "cfost " + String.join(" ", args) + "\n" + r.out();
      assertThat(r.code()).as(what).isZero();
      assertThat(r.err()).as(what).isEmpty();
      List<String> lines = Arrays.asList(r.out().stripTrailing().split("\n"));
      int heading = Math.max(lines.lastIndexOf("Example:"), lines.lastIndexOf("Examples:"));
      assertThat(heading).as("an Example(s) heading in " + what).isPositive();
      List<String> examples = lines.subList(heading + 1, lines.size());
      assertThat(examples).as(what).isNotEmpty().allSatisfy(l -> assertThat(l).startsWith("  ").contains("cfost "));
      if (!command.isEmpty() && !command.equals(List.of("help"))) {
        // An example of this very command: its words in this order (after "cfost" and its options).
        assertThat(examples).as(what).anySatisfy(l -> assertThat(l).contains(String.join(" ", command)));
      }
    }
  }

  @Test
  void theTopLevelHelpListsTheExitCodes() {
    assertThat(run("--help").out()).contains("Exit codes:", "0   success", "1   the operation failed",
        "2   usage error");
  }

  @Test
  void anUnknownCommandIsAUsageErrorWithOrWithoutHelp() {
    for (String[] args : List.of(new String[] {"nosuch"}, new String[] {"nosuch", "--help"},
        new String[] {"--help", "nosuch"}, new String[] {"status", "nosuch", "--help"},
        new String[] {"device", "nosuch", "--help"})) {
      Run r = run(args);
      String what = String.join(" ", args);
      assertThat(r.code()).as(what).isEqualTo(2);
      assertThat(r.out()).as(what).isEmpty();
      assertThat(r.err()).as(what).startsWith("cfost: ").contains("'nosuch'").endsWith("\n");
      assertThat(r.err().lines()).as(what).hasSize(1);
    }
     assertThat(run("nosuch", "--help").err()).isEqualTo("cfost: unknown command 'nosuch' (see 'cfost --help')\n");
    assertThat(run("stauts").err()).startsWith("cfost: unknown command 'stauts'; did you mean ").contains("status");
    assertThat(run("device", "lst").err()).startsWith("cfost: unknown command 'lst'; did you mean ").contains("list")
        .endsWith("(see 'cfost device --help')\n");
  }

  /** 'cfost server --help' names the environment variable of every setting it has a flag for (docs/SERVER.md). */
  @Test
  void theServersHelpNamesTheEnvironmentVariableOfEveryFlag() {
    CommandLine server = Cli.commandLine(new CfostCommand(System.in, Map.of()), new PrintWriter(new StringWriter()),
        new PrintWriter(new StringWriter())).getSubcommands().get("server");
    String help = run("server", "--help").out();
    for (CommandLine.Model.OptionSpec o : server.getCommandSpec().options()) {
      String flag = o.longestName();
      if (o.usageHelp() || o.versionHelp() || o.inherited()) {
        continue;
      }
      String env = "CFOST_SERVER_" + flag.substring(2).toUpperCase(java.util.Locale.ROOT).replace('-', '_');
      assertThat(help).as("%s: %s", flag, help).contains(env);
    }
  }
}

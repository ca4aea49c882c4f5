using System.Diagnostics;
using System.Globalization;

namespace PuffinOffset.TestSupport;

/// <summary>
/// Kills what its owner started once the owner is gone, however it ended: a normal exit, an unhandled exception,
/// SIGTERM or SIGINT, or a SIGKILL (<c>timeout --kill-after</c>) that runs no handler at all. The watchdog is a shell
/// in a session of its own (so no signal meant for the owner's process group reaches it) reading a pipe whose only
/// writer is the owner: when the owner's process ends, the kernel closes that end, the shell reads end-of-file and
/// sends SIGKILL to the last list of targets it was given. A target is a process (<c>123</c>) or a whole process group
/// (<c>-123</c>); the owner sends the whole current list on every change, so a process group or pid let go of
/// (stopped cleanly) is not killed later under another owner's reuse of the number.
/// </summary>
public sealed class ProcessWatchdog : IDisposable
{
    private const string Script = """
        exec >/dev/null 2>&1
        trap '' INT TERM HUP
        targets=""
        while IFS= read -r line; do targets=$line; done
        [ -z "$targets" ] || kill -KILL $targets
        """;

    private static readonly Lazy<ProcessWatchdog> SharedWatchdog = new(() => new ProcessWatchdog());

    private readonly Process _shell;
    private readonly Dictionary<string, string> _targets = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    public ProcessWatchdog()
    {
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardInput = true };
        foreach (var argument in new[] { "sh", "-c", Script })
        {
            start.ArgumentList.Add(argument);
        }

        _shell = Process.Start(start) ?? throw new InvalidOperationException("The process watchdog (setsid sh) did not start.");
    }

    /// <summary>One watchdog for this process: what it guards is killed once the process is gone.</summary>
    public static ProcessWatchdog Shared => SharedWatchdog.Value;

    /// <summary>The watchdog's own process (for a test that checks it is gone once its work is done).</summary>
    public int Id => _shell.Id;

    /// <summary>Kills process <paramref name="pid"/> if the owner ends while it is guarded under <paramref name="key"/>.</summary>
    public void GuardProcess(string key, int pid)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(pid, 1); // never init, never "every process" (-1)
        Set(key, pid.ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>Kills every process of group <paramref name="groupId"/> if the owner ends while it is guarded under <paramref name="key"/>.</summary>
    public void GuardGroup(string key, int groupId)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(groupId, 1);
        Set(key, (-groupId).ToString(CultureInfo.InvariantCulture));
    }

    /// <summary>The owner stopped it itself (or it died): nothing to kill for <paramref name="key"/> any more.</summary>
    public void Release(string key) => Set(key, null);

    private void Set(string key, string? target)
    {
        lock (_lock)
        {
            if (target is null)
            {
                _targets.Remove(key);
            }
            else
            {
                _targets[key] = target;
            }

            _shell.StandardInput.WriteLine(string.Join(' ', _targets.Values));
            _shell.StandardInput.Flush();
        }
    }

    /// <summary>Closes the pipe as the owner's death would: the watchdog kills whatever is still guarded, then exits.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _shell.StandardInput.Close();
        }

        _shell.Dispose();
    }
}

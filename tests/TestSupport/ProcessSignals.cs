using System.Runtime.InteropServices;

namespace PuffinOffset.TestSupport;

/// <summary>
/// SIGKILL of a whole process group through libc's <c>kill(-pgid, SIGKILL)</c>. Not the <c>kill</c> command: procps-ng
/// 4.0.2 (Debian 12) reads <c>kill -KILL -&lt;pgid&gt;</c> as a kill of every process the caller may signal.
/// </summary>
public static class ProcessSignals
{
    private const int SigKill = 9;

    /// <summary>Kills every process of group <paramref name="groupId"/>; false when the group has no process left.</summary>
    public static bool KillGroup(int groupId)
    {
        // 0 and 1 would be this process's own group and init's; negative numbers are not group ids.
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(groupId, 1);
        return Kill(-groupId, SigKill) == 0;
    }

    // DllImport rather than LibraryImport: the signature is blittable, and LibraryImport needs unsafe code enabled.
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}

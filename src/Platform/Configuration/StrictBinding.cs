using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PuffinOffset.Platform.Configuration;

/// <summary>
/// Binds an options section property by property, so that a malformed value (a TimeSpan written
/// <c>30s</c>, a number with letters) is a startup error naming its variable instead of the binder's
/// exception (a stack trace) or a silent default. Well-formed values are bound as usual.
/// </summary>
public static class StrictBinding
{
    public static OptionsBuilder<T> BindStrictly<T>(this OptionsBuilder<T> builder, string section) where T : class, new()
    {
        builder.Configure<IConfiguration>((options, configuration) =>
        {
            foreach (var (property, value) in Values<T>(configuration.GetSection(section)))
            {
                if (value.Value is { } parsed)
                {
                    property.SetValue(options, parsed);
                }
            }
        });
        builder.Services.AddSingleton<IValidateOptions<T>>(provider => new MalformedValues<T>(provider.GetRequiredService<IConfiguration>(), section));
        return builder;
    }

    /// <summary>Each configured property with its converted value, or the reason it cannot be converted.</summary>
    private static IEnumerable<(PropertyInfo Property, (object? Value, string? Failure) Value)> Values<T>(IConfigurationSection section)
    {
        foreach (var property in typeof(T).GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            var child = section.GetSection(property.Name);
            if (!child.Exists())
            {
                continue;
            }

            // The binder skips a list element it cannot convert without a word: each one is checked here.
            var converted = property.PropertyType.GetElementType() is { } element
                ? ConvertList(child, element, property.PropertyType)
                : Convert(child, property.PropertyType);
            yield return (property, converted);
        }
    }

    private static (object? Value, string? Failure) Convert(IConfigurationSection section, Type type)
    {
        try
        {
            return (section.Get(type), null);
        }
        catch (InvalidOperationException)
        {
            return (null, $"{Variable(section)} is not a valid {Describe(type)}{(section.Value is { } raw ? $" ('{raw}')" : "")}.");
        }
    }

    private static (object? Value, string? Failure) ConvertList(IConfigurationSection section, Type element, Type listType)
    {
        var items = section.GetChildren().OrderBy(c => int.TryParse(c.Key, out var index) ? index : int.MaxValue).ToList();
        if (items.Count == 0 && !string.IsNullOrEmpty(section.Value))
        {
            return (null, $"{Variable(section)} is a list: give its items as {Variable(section)}__0, {Variable(section)}__1, ...");
        }

        var array = Array.CreateInstance(element, items.Count);
        for (var i = 0; i < items.Count; i++)
        {
            var (value, failure) = Convert(items[i], element);
            if (failure is not null || value is null)
            {
                return (null, $"{Variable(items[i])} is not a valid {Describe(listType)}{(items[i].Value is { } raw ? $" ('{raw}')" : "")}.");
            }

            array.SetValue(value, i);
        }

        return (array, null);
    }

    /// <summary>The environment variable's spelling of a configuration path.</summary>
    private static string Variable(IConfigurationSection section) => section.Path.Replace(":", "__", StringComparison.Ordinal);

    private static string Describe(Type type) => type switch
    {
        _ when type == typeof(TimeSpan) => "TimeSpan: write it hh:mm:ss, e.g. 00:00:30",
        _ when type == typeof(TimeSpan[]) => "list of TimeSpans: write each hh:mm:ss, e.g. 00:00:30",
        _ when type == typeof(int) || type == typeof(long) => "whole number",
        _ when type == typeof(bool) => "boolean: true or false",
        _ => type.Name,
    };

    private sealed class MalformedValues<T>(IConfiguration configuration, string section) : IValidateOptions<T> where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var failures = Values<T>(configuration.GetSection(section))
                .Select(v => v.Value.Failure)
                .OfType<string>()
                .ToList();
            return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
        }
    }

    /// <summary>Parses a boolean variable that must be exactly <c>true</c> or <c>false</c> (any case); null when absent.</summary>
    public static bool? StrictBoolean(string? value, out bool malformed)
    {
        malformed = false;
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        switch (value.Trim().ToLower(CultureInfo.InvariantCulture))
        {
            case "true":
                return true;
            case "false":
                return false;
            default:
                malformed = true;
                return null;
        }
    }
}

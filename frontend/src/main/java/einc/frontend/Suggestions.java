package einc.frontend;

import java.util.Collection;
import java.util.Locale;

/** "did you mean ...": the closest candidate to a misspelled name, by edit distance. */
final class Suggestions {

    private Suggestions() {}

    /** The closest candidate within a small edit distance, or null. Ties go to the first candidate. */
    static String closest(String name, Collection<String> candidates) {
        if (name.length() < 2) return null;
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        int limit = name.length() <= 2 ? 1 : name.length() <= 5 ? 2 : 3;
        for (String c : candidates) {
            if (c.equals(name)) continue;
            int d = c.equalsIgnoreCase(name) ? 1 : distance(name.toLowerCase(Locale.ROOT), c.toLowerCase(Locale.ROOT));
            if (d <= limit && d < bestDistance && d < Math.max(name.length(), c.length())) {
                best = c;
                bestDistance = d;
            }
        }
        return best;
    }

    /** " (did you mean 'x'?)"-style hint text, or null when nothing is close. */
    static String didYouMean(String name, Collection<String> candidates) {
        String c = closest(name, candidates);
        return c == null ? null : "did you mean '" + c + "'?";
    }

    private static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) prev[j] = j;
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }
}

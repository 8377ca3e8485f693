/** The epmt release; the collector reports its own version separately. */
export const VERSION = "0.1.0";

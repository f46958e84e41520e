"""Model-input windows streamed from the feature cache: layouts, the window index, a torch ``Dataset``,
streaming feature statistics and batched prediction. Nothing here holds a split's features in memory."""

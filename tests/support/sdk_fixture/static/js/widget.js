document.documentElement.dataset.sdkFixture = "loaded";
